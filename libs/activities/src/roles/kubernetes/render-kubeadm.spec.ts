import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  kubeadmApiVersion,
  maskedSha256,
  MASK,
  normaliseEndpoint,
  renderInitConfig,
  renderJoinConfig,
} from './render-kubeadm';

/**
 * Golden files for the kubeadm configs (kubeadm itself is not available offline; the lab's
 * emulated kubeadm consumes these same files in the role tests). `UPDATE_GOLDEN=1` rewrites them.
 * Golden files hold fixed placeholder secrets, never real ones.
 */
const GOLDEN = join(__dirname, 'golden');
const TOKEN = 'abcdef.0123456789abcdef';
const CERT_KEY = 'f'.repeat(64);

const CASES: Record<string, () => string> = {
  'init-v1beta3': () =>
    renderInitConfig({
      kubernetesVersion: 'v1.30.2',
      controlPlaneEndpoint: '10.20.0.10:6443',
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      nodeName: 'r1-cp-01',
      token: TOKEN,
      certificateKey: CERT_KEY,
    }),
  'init-v1beta4-advertise': () =>
    renderInitConfig({
      kubernetesVersion: 'v1.33.1',
      controlPlaneEndpoint: 'api.edge-1.example:6443',
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      nodeName: 'r1-cp-01',
      advertiseAddress: '10.20.0.50',
      token: TOKEN,
      certificateKey: CERT_KEY,
    }),
  'join-worker': () =>
    renderJoinConfig({
      kubernetesVersion: 'v1.30.2',
      apiServerEndpoint: '10.20.0.10:6443',
      token: TOKEN,
      caCertHash: `sha256:${'0'.repeat(64)}`,
      nodeName: 'r1-w-01',
    }),
  'join-control-plane': () =>
    renderJoinConfig({
      kubernetesVersion: 'v1.33.1',
      apiServerEndpoint: '10.20.0.10:6443',
      token: TOKEN,
      caCertHash: `sha256:${'0'.repeat(64)}`,
      nodeName: 'r1-cp-02',
      controlPlane: { certificateKey: CERT_KEY, advertiseAddress: '10.20.0.51' },
    }),
};

describe('kubeadm config golden files', () => {
  it.each(Object.keys(CASES))('%s matches its golden file, parses, and passes yamllint', (name) => {
    const rendered = CASES[name]!();
    const golden = join(GOLDEN, `${name}.yaml`);
    if (process.env['UPDATE_GOLDEN'] === '1') {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(golden, rendered);
    }
    expect(rendered).toBe(readFileSync(golden, 'utf8'));
    const documents = parseAllDocuments(rendered).map(
      (document) => document.toJSON() as { kind: string; apiVersion: string },
    );
    expect(documents.every((document) => document.kind && document.apiVersion)).toBe(true);
    const lint = execFileSync(
      'yamllint',
      [
        '-f',
        'parsable',
        '-d',
        '{extends: default, rules: {line-length: disable, document-start: disable}}',
        golden,
      ],
      { encoding: 'utf8' },
    );
    expect(lint).toBe('');
  });

  it('picks v1beta4 from Kubernetes 1.31 on', () => {
    expect(kubeadmApiVersion('v1.30.9')).toBe('kubeadm.k8s.io/v1beta3');
    expect(kubeadmApiVersion('1.31')).toBe('kubeadm.k8s.io/v1beta4');
    expect(kubeadmApiVersion('v2.0.0')).toBe('kubeadm.k8s.io/v1beta4');
  });

  it('hashes configs with secrets masked: stable across token rotation, different for a real change', () => {
    const a = renderInitConfig({
      kubernetesVersion: 'v1.30.2',
      controlPlaneEndpoint: '10.0.0.1:6443',
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      nodeName: 'cp',
      token: TOKEN,
      certificateKey: CERT_KEY,
    });
    const rotated = a.replace(TOKEN, 'zzzzzz.zzzzzzzzzzzzzzzz');
    expect(maskedSha256(a, [TOKEN, CERT_KEY])).toBe(
      maskedSha256(rotated, ['zzzzzz.zzzzzzzzzzzzzzzz', CERT_KEY]),
    );
    expect(maskedSha256(a, [TOKEN, CERT_KEY])).not.toBe(
      maskedSha256(a.replace('10.244.0.0/16', '10.245.0.0/16'), [TOKEN, CERT_KEY]),
    );
    expect(MASK).toBe('<masked>');
  });

  it('normalises the control-plane endpoint', () => {
    expect(normaliseEndpoint('10.20.0.10')).toBe('10.20.0.10:6443');
    expect(normaliseEndpoint('https://api.example:8443/')).toBe('api.example:8443');
  });
});
