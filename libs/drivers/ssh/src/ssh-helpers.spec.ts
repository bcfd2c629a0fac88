import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BoundedOutput, truncationMarker } from './bounded-output';
import { createMemoryHostKeyStore, hostKeyFingerprint } from './host-key-store';
import { shellCommand, shellQuote } from './shell-quote';

describe('shellQuote', () => {
  it('leaves safe words alone and quotes the rest so bash reads them back unchanged', () => {
    expect(shellQuote('openstack-helm/nova')).toBe('openstack-helm/nova');
    const words = ["it's", 'a b', '$HOME', '`id`', '', 'x;y', 'line\nbreak', '*'];
    const echoed = execFileSync('bash', ['-c', `printf '%s\\0' ${shellCommand(...words)}`], {
      encoding: 'utf8',
    });
    expect(echoed.split('\0').slice(0, -1)).toEqual(words);
  });
});

describe('BoundedOutput', () => {
  it('keeps up to the limit across chunks and counts what it dropped', () => {
    const output = new BoundedOutput(5);
    output.push(Buffer.from('abc'));
    output.push(Buffer.from('defg'));
    output.push(Buffer.from('hij'));
    expect(output.truncated).toBe(true);
    expect(output.peek()).toBe('abcde');
    expect(output.text()).toBe(`abcde\n${truncationMarker(5)}\n`);
    const small = new BoundedOutput(10);
    small.push(Buffer.from('ok'));
    expect([small.truncated, small.text()]).toEqual([false, 'ok']);
  });
});

describe('memory host-key store', () => {
  const A = `SHA256:${'a'.repeat(43)}`;
  const B = `SHA256:${'b'.repeat(43)}`;
  it('pins first, keeps the first pin, and replaces only an announced key', async () => {
    const store = createMemoryHostKeyStore();
    expect(await store.pinFirst('m1', A)).toEqual({ sha256: A });
    expect(await store.pinFirst('m1', B)).toEqual({ sha256: A });
    expect(await store.replace('m1', B)).toBe(false);
    await store.expect('m1', B);
    expect(await store.get('m1')).toEqual({ sha256: A, expectedSha256: B });
    expect(await store.replace('m1', B)).toBe(true);
    expect(await store.get('m1')).toEqual({ sha256: B });
  });

  it('fingerprints a key blob exactly as ssh-keygen -lf does (needs openssh-client)', () => {
    // GitHub's published ed25519 host key.
    const blob = Buffer.from(
      'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
      'base64',
    );
    const viaSshKeygen = execFileSync('ssh-keygen', ['-lf', '-'], {
      input: `ssh-ed25519 ${blob.toString('base64')}\n`,
      encoding: 'utf8',
    });
    expect(viaSshKeygen).toBe(`256 ${hostKeyFingerprint(blob)} no comment (ED25519)\n`);
    expect(hostKeyFingerprint(blob)).toBe('SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU');
  });
});
