import { stringify } from 'yaml';
import {
  openStackReleasePlan,
  RoleError,
  type ClusterRevisionRef,
  type DeployReleaseResult,
  type OpenStackActivities,
  type OpenStackChart,
  type SshAccess,
} from '@plinth/contracts';
import { canonicalJson, contentHash, type ClusterRepository, type SecretStore } from '@plinth/db';
import type { OpenStackSpec } from '@plinth/domain';
import { shellCommand, type ExecResult, type SshDriver } from '@plinth/driver-ssh';
import type { Logger } from '@plinth/logger';
import {
  cancellationSignal,
  heartbeat,
  roleActivity,
  withHeartbeats,
} from '../verify-os/ssh-activity-support';
import { parseOsRelease } from '../verify-os/verify-os-activities';

export interface OpenStackDeps {
  ssh: SshDriver;
  clusters: Pick<ClusterRepository, 'revision'>;
  /** Resolves `secret/<name>` values in the spec's Helm values. */
  secrets: Pick<SecretStore, 'reveal'>;
  /** Chart repository (default: openstack-helm's tarballs). */
  repository?: { name: string; url: string };
  /** Namespace of the releases. Default `openstack`. */
  namespace?: string;
  /** Chart versions to pin, per chart; unpinned charts take the repository's latest. */
  chartVersions?: Partial<Record<OpenStackChart, string>>;
  logger?: Logger;
  /** Heartbeat period during `helm --wait`. Default 2 s. */
  heartbeatIntervalMs?: number;
}

export const OPENSTACK_HELM_REPOSITORY = {
  name: 'openstack-helm',
  url: 'https://tarballs.opendev.org/openstack/openstack-helm',
};
const HELM = 'sudo helm --kubeconfig /etc/kubernetes/admin.conf';
const SECRET_REF = /^secret\/[a-z0-9][a-z0-9._-]{0,127}$/;

type Values = Record<string, unknown>;

function isRecord(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Helm's merge: mappings merged key by key, anything else replaced. */
export function mergeValues(base: Values, override: Values): Values {
  const out: Values = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    const existing = out[key];
    out[key] = isRecord(existing) && isRecord(value) ? mergeValues(existing, value) : structuredClone(value);
  }
  return out;
}

/** Values Plinth sets for every chart before the spec's own: the release group and the chart's node labels. */
export function defaultValues(chart: OpenStackChart): Values {
  return { release_group: chart };
}

/** Replace every `secret/<name>` string with the secret's value; returns the values and the secrets used. */
async function resolveSecrets(
  values: unknown,
  reveal: (ref: string) => Promise<string>,
  used: string[],
): Promise<unknown> {
  if (typeof values === 'string' && SECRET_REF.test(values)) {
    const secret = await reveal(values);
    used.push(secret);
    return secret;
  }
  if (Array.isArray(values)) return Promise.all(values.map((item) => resolveSecrets(item, reveal, used)));
  if (isRecord(values)) {
    const out: Values = {};
    for (const [key, value] of Object.entries(values)) out[key] = await resolveSecrets(value, reveal, used);
    return out;
  }
  return values;
}

interface HelmStatus {
  info?: { status?: string; description?: string };
  config?: unknown;
  version?: number;
  chart?: { metadata?: { version?: string } };
}

/** Builds the {@link OpenStackActivities}. */
export const createOpenStackActivities = (deps: OpenStackDeps): OpenStackActivities => {
  const heartbeatMs = deps.heartbeatIntervalMs ?? 2000;
  const repository = deps.repository ?? OPENSTACK_HELM_REPOSITORY;
  const namespace = deps.namespace ?? 'openstack';

  async function specOf(ref: ClusterRevisionRef): Promise<OpenStackSpec> {
    const revision = await deps.clusters.revision(ref.clusterId, ref.revision);
    if (!revision)
      throw new RoleError('TemplateError', `Cluster ${ref.clusterId} has no revision ${ref.revision}.`);
    if (!revision.spec.openstack.enabled)
      throw new RoleError(
        'TemplateError',
        `Cluster ${revision.spec.name} revision ${ref.revision} does not enable OpenStack.`,
      );
    return revision.spec.openstack;
  }

  async function status(target: SshAccess, release: string): Promise<HelmStatus | undefined> {
    const result = await deps.ssh.exec(
      target,
      `${HELM} status ${shellCommand(release)} -n ${shellCommand(namespace)} -o json`,
      { signal: cancellationSignal() },
    );
    if (result.exitCode !== 0) {
      if (/release: not found/.test(result.stderr)) return undefined;
      throw helmError(release, 'status', result);
    }
    return JSON.parse(result.stdout) as HelmStatus;
  }

  function helmError(release: string, what: string, result: ExecResult): RoleError {
    const output = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-6).join(' ');
    return new RoleError(
      'HelmReleaseFailed',
      `helm ${what} of release ${release} (namespace ${namespace}) failed, exit ${String(result.exitCode)}: ${output}`,
      {
        release,
        namespace,
      },
    );
  }

  return {
    prepareHelm: (input) =>
      roleActivity(async () => {
        await specOf(input);
        const target = input.firstControlPlane;
        const signal = cancellationSignal();
        let changed = false;
        if ((await deps.ssh.exec(target, 'helm version --short', { signal })).exitCode !== 0) {
          changed = true;
          const release = parseOsRelease(
            (await deps.ssh.run(target, 'cat /etc/os-release', { signal })).stdout,
          );
          const apt =
            ['ubuntu', 'debian'].includes(release['ID'] ?? '') || /\bdebian\b/.test(release['ID_LIKE'] ?? '');
          const install = apt
            ? 'sudo mkdir -p /etc/apt/sources.list.d && echo "deb [signed-by=/usr/share/keyrings/helm.gpg] https://baltocdn.com/helm/stable/debian/ all main" | sudo tee /etc/apt/sources.list.d/helm-stable-debian.list > /dev/null && sudo apt-get update && sudo apt-get install -y helm'
            : 'sudo dnf install -y helm';
          await deps.ssh.run(target, install, { signal, timeoutMs: 600_000 });
        }
        const added = await deps.ssh.run(
          target,
          `sudo helm repo add ${shellCommand(repository.name)} ${shellCommand(repository.url)}`,
          { signal },
        );
        if (/has been added/.test(added.stdout)) changed = true;
        await deps.ssh.run(target, 'sudo helm repo update', { signal, timeoutMs: 300_000 });
        return { changed };
      }),

    deployRelease: (input) =>
      roleActivity(async (): Promise<DeployReleaseResult> => {
        const spec = await specOf(input);
        const { charts } = openStackReleasePlan(spec.services);
        if (!charts.includes(input.chart)) {
          throw new RoleError(
            'TemplateError',
            `Chart ${input.chart} is not part of this cluster's OpenStack (${charts.join(', ')}).`,
          );
        }
        const target = input.firstControlPlane;
        const release = input.chart;
        const wanted = mergeValues(defaultValues(input.chart), spec.values[input.chart] ?? {});
        const valuesSha256 = contentHash(wanted);
        const secretValues: string[] = [];
        const resolved = (await resolveSecrets(
          wanted,
          async (ref) => {
            try {
              return await deps.secrets.reveal(ref);
            } catch (error) {
              if (error instanceof Error && error.name === 'SecretNotFoundError') {
                throw new RoleError(
                  'SecretMissing',
                  `Helm values of ${input.chart} reference ${ref}, which does not exist. Store it with the secrets API.`,
                  { ref },
                );
              }
              throw error;
            }
          },
          secretValues,
        )) as Values;
        const chartVersion = deps.chartVersions?.[input.chart];

        heartbeat({ step: 'helm status', release });
        const current = await status(target, release);
        const state = current?.info?.status;
        if (
          state === 'deployed' &&
          canonicalJson(current?.config ?? {}) === canonicalJson(resolved) &&
          (chartVersion === undefined || current?.chart?.metadata?.version === chartVersion)
        ) {
          return { release, namespace, revision: current?.version ?? 0, changed: false, valuesSha256 };
        }
        if (state === 'pending-install') {
          // An install interrupted mid-way (worker lost during --wait) leaves the release locked; start it over.
          deps.logger?.warn(
            { release },
            'release stuck in pending-install; uninstalling before installing again',
          );
          const removed = await deps.ssh.exec(
            target,
            `${HELM} uninstall ${shellCommand(release)} -n ${shellCommand(namespace)}`,
            { signal: cancellationSignal() },
          );
          if (removed.exitCode !== 0)
            throw helmError(release, 'uninstall (of a release stuck in pending-install)', removed);
        } else if (state === 'pending-upgrade' || state === 'pending-rollback') {
          const rolledBack = await deps.ssh.exec(
            target,
            `${HELM} rollback ${shellCommand(release)} -n ${shellCommand(namespace)}`,
            { signal: cancellationSignal() },
          );
          if (rolledBack.exitCode !== 0) {
            throw new RoleError(
              'HelmReleaseFailed',
              `Release ${release} is stuck in ${state} and "helm rollback" failed: ${rolledBack.stderr.trim()}. Roll it back by hand, then retry.`,
              { release, namespace },
            );
          }
        }

        const timeoutSeconds = input.timeoutSeconds ?? 900;
        const command = [
          `${HELM} upgrade --install ${shellCommand(release)} ${shellCommand(`${repository.name}/${input.chart}`)}`,
          `-n ${shellCommand(namespace)} --create-namespace --reset-values --values - --wait --timeout ${timeoutSeconds}s`,
          ...(chartVersion ? [`--version ${shellCommand(chartVersion)}`] : []),
        ].join(' ');
        const result = await withHeartbeats(
          deps.ssh.exec(target, command, {
            stdin: stringify(resolved),
            secrets: secretValues,
            signal: cancellationSignal(),
            timeoutMs: (timeoutSeconds + 120) * 1000,
          }),
          () => ({ step: 'helm upgrade --install --wait', release }),
          heartbeatMs,
        );
        if (result.exitCode !== 0) throw helmError(release, 'upgrade --install', result);

        const after = await status(target, release);
        if (after?.info?.status !== 'deployed') {
          throw new RoleError(
            'HelmReleaseFailed',
            `Release ${release} is ${after?.info?.status ?? 'missing'} after helm reported success: ${after?.info?.description ?? ''}`,
            {
              release,
              namespace,
            },
          );
        }
        deps.logger?.info({ release, revision: after.version }, 'openstack release deployed');
        return { release, namespace, revision: after.version ?? 0, changed: true, valuesSha256 };
      }),
  };
};
