import { randomUUID } from 'node:crypto';
import type nunjucks from 'nunjucks';
import { RoleError, type RenderedInstallConfig, type RenderInstallConfigInput } from '@plinth/contracts';
import type { BootConfigRepository, ClusterRepository, MachineRepository, StoredCluster } from '@plinth/db';
import {
  mergeParams,
  type ClusterSpec,
  type HardwareInventory,
  type InstallerKind,
  type Machine,
  type MachineRole,
  type ParamLayer,
  type Params,
} from '@plinth/domain';
import { hashBootToken, mintBootToken } from './boot-tokens';
import { buildInstallContext, type InstallSubject } from './context';
import { createTemplateEnvironment } from './environment';
import { filesHash, INSTALL_FILES, renderInstall, type InstallFileName } from './render';
import { MASK, maskSecrets, resolveSecretParams, type RevealSecret } from './secrets';

/** Default lifetime of boot tokens: long enough for a slow install, short enough to be worthless later. */
export const DEFAULT_BOOT_TOKEN_TTL_MS = 2 * 60 * 60 * 1000;

/** One file of a preview, with secrets and tokens masked. */
export interface PreviewFile {
  name: InstallFileName;
  content: string;
}

/** A machine's install config as it would be rendered now, safe to show. */
export interface InstallPreview {
  machine: string;
  cluster: string;
  role: MachineRole;
  installer: InstallerKind;
  /** Secret references that were resolved and masked (`********`) in the files. */
  maskedSecrets: string[];
  /** Which params layer set each top-level param. */
  paramSources: Record<string, ParamLayer>;
  files: PreviewFile[];
}

export interface InstallConfigServiceDeps {
  configs: BootConfigRepository;
  machines: Pick<MachineRepository, 'findByName' | 'list'>;
  clusters: Pick<ClusterRepository, 'findByName' | 'list' | 'profileParams'>;
  /** Reads secret values at render time (the secret store's `reveal`). */
  revealSecret: RevealSecret;
  /** Base URL machines reach the provisioner at, e.g. `http://10.0.0.2:3000`. */
  publicBaseUrl: string;
  /** Lifetime of boot tokens. Default {@link DEFAULT_BOOT_TOKEN_TTL_MS}. */
  tokenTtlMs?: number;
  /** The lowest params layer (site-wide defaults). */
  globalParams?: Params;
  now?: () => Date;
  environment?: nunjucks.Environment;
}

/**
 * Renders install configs: stored with fresh one-time tokens for a run (what machines boot from),
 * or as a masked preview (what operators read before a run).
 */
export interface InstallConfigService {
  /**
   * Renders the machine's install files for the run's cluster revision and stores them encrypted,
   * with a config token (in the install-config URLs) and a callback token, both stored hashed and
   * valid for the token TTL. Returns the id and hash, never the content.
   *
   * Idempotent: when the stored rendering of (run, machine) has the same inputs, no callback yet
   * and more than half its validity left, it is returned as is (`reused: true`, no new tokens).
   * Otherwise it is replaced and the old tokens stop working at once.
   *
   * @throws RoleError `TemplateError` (unknown run or machine, machine not in the cluster, bad params,
   *   every problem listed), `SecretMissing` — neither retryable.
   */
  renderAndStore(
    input: RenderInstallConfigInput,
    options?: { signal?: AbortSignal },
  ): Promise<RenderedInstallConfig>;
  /**
   * The masked rendering of a machine: in `cluster` when given, else in the one cluster whose
   * current spec selects it. Stores nothing, mints no token.
   * @throws RoleError `TemplateError` (unknown machine or cluster, ambiguous cluster, bad params), `SecretMissing`
   */
  preview(input: { machine: string; cluster?: string }): Promise<InstallPreview>;
  /** The masked rendering of a machine in a spec (for cluster plans). Same errors as {@link preview}. */
  previewInSpec(input: {
    machine: Machine & { id?: string };
    spec: ClusterSpec;
    profileParams: Params | undefined;
    hardware?: HardwareInventory;
  }): Promise<InstallPreview>;
}

export function createInstallConfigService(deps: InstallConfigServiceDeps): InstallConfigService {
  const environment = deps.environment ?? createTemplateEnvironment();
  const ttlMs = deps.tokenTtlMs ?? DEFAULT_BOOT_TOKEN_TTL_MS;
  const now = deps.now ?? (() => new Date());
  const base = deps.publicBaseUrl.replace(/\/$/, '');

  const prepare = async (input: {
    machine: Machine;
    spec: ClusterSpec;
    profileParams: Params | undefined;
    hardware: HardwareInventory | undefined;
    bootAddress?: RenderInstallConfigInput['bootAddress'];
  }) => {
    const role = roleOf(input.spec, input.machine);
    const merged = mergeParams({
      global: deps.globalParams,
      profile: input.profileParams,
      cluster: input.spec.params,
      machine: input.machine.params,
    });
    const resolved = await resolveSecretParams(merged.params, deps.revealSecret);
    const subject: InstallSubject = {
      machine: input.machine,
      role,
      cluster: input.spec,
      params: resolved.params,
      ...(input.hardware ? { hardware: input.hardware } : {}),
      ...(input.bootAddress ? { bootAddress: input.bootAddress } : {}),
      revealed: resolved.revealed,
    };
    return { subject, role, merged, resolved };
  };

  const previewOf = async (input: Parameters<typeof prepare>[0]): Promise<InstallPreview> => {
    const { subject, role, merged, resolved } = await prepare(input);
    const context = buildInstallContext(subject, {
      publicBaseUrl: base,
      configId: 'preview',
      configToken: MASK,
      callbackToken: MASK,
    });
    const rendering = renderInstall(environment, context);
    return {
      machine: input.machine.name,
      cluster: input.spec.name,
      role,
      installer: rendering.installer,
      maskedSecrets: resolved.refs,
      paramSources: merged.sources,
      files: INSTALL_FILES[rendering.installer].map(({ file }) => ({
        name: file,
        content: maskSecrets(rendering.files[file] ?? '', resolved.revealed),
      })),
    };
  };

  return {
    async renderAndStore(input, options = {}) {
      const inputs = await deps.configs.renderInputs(input.runId, input.machineId);
      if (!inputs) {
        throw new RoleError(
          'TemplateError',
          `Cannot render an install config: run ${input.runId} or machine ${input.machineId} does not exist`,
          { runId: input.runId, machineId: input.machineId },
        );
      }
      const { subject } = await prepare({ ...inputs, bootAddress: input.bootAddress });
      // The same inputs with placeholder tokens hash the same: that is how a re-render is recognised.
      const placeholders = {
        configId: 'config-id',
        configToken: 'config-token',
        callbackToken: 'callback-token',
      };
      const inputHash = filesHash(
        renderInstall(environment, buildInstallContext(subject, { publicBaseUrl: base, ...placeholders }))
          .files,
      );
      const at = now();
      const existing = await deps.configs.current(input.runId, input.machineId);
      if (
        existing &&
        existing.inputHash === inputHash &&
        !existing.callbackUsedAt &&
        existing.expiresAt.getTime() - at.getTime() > ttlMs / 2
      ) {
        return result(existing, true);
      }

      const configId = randomUUID();
      const configToken = mintBootToken();
      const callbackToken = mintBootToken();
      const context = buildInstallContext(subject, {
        publicBaseUrl: base,
        configId,
        configToken,
        callbackToken,
      });
      const rendering = renderInstall(environment, context);
      options.signal?.throwIfAborted();
      const stored = await deps.configs.replace({
        id: configId,
        runId: input.runId,
        machineId: input.machineId,
        installer: rendering.installer,
        osFamily: inputs.spec.os.family,
        osVersion: inputs.spec.os.version,
        inputHash,
        contentHash: filesHash(rendering.files),
        files: rendering.files as Record<string, string>,
        configTokenHash: hashBootToken(configToken),
        callbackTokenHash: hashBootToken(callbackToken),
        expiresAt: new Date(at.getTime() + ttlMs),
      });
      return result(stored, false);

      function result(
        record: { id: string; contentHash: string; installer: InstallerKind; expiresAt: Date },
        reused: boolean,
      ): RenderedInstallConfig {
        const masked = buildInstallContext(subject, {
          publicBaseUrl: base,
          configId: record.id,
          configToken: MASK,
          callbackToken: MASK,
        });
        return {
          configId: record.id,
          sha256: record.contentHash,
          installer: record.installer,
          reused,
          expiresAt: record.expiresAt.toISOString(),
          urls: {
            ipxe: masked.boot.ipxeUrl,
            installConfig: masked.boot.configUrl,
            callback: masked.boot.callbackUrl,
          },
        };
      }
    },

    async preview({ machine: name, cluster: clusterName }) {
      const machine = await deps.machines.findByName(name);
      if (!machine) throw new RoleError('TemplateError', `No machine is named "${name}".`, { machine: name });
      let cluster: StoredCluster | undefined;
      if (clusterName) {
        cluster = await deps.clusters.findByName(clusterName);
        if (!cluster)
          throw new RoleError('TemplateError', `No cluster is named "${clusterName}".`, {
            cluster: clusterName,
          });
        if (!selects(cluster.current.spec, machine)) {
          throw new RoleError(
            'TemplateError',
            `Cluster "${clusterName}" (revision ${cluster.current.revision}) does not select machine "${name}".`,
            { machine: name, cluster: clusterName },
          );
        }
      } else {
        const candidates = (await deps.clusters.list()).filter((c) => selects(c.current.spec, machine));
        if (candidates.length !== 1) {
          throw new RoleError(
            'TemplateError',
            candidates.length === 0
              ? `No cluster selects machine "${name}"; pass the cluster to render it in.`
              : `Machine "${name}" is selected by several clusters (${candidates.map((c) => c.name).join(', ')}); pass one.`,
            { machine: name },
          );
        }
        cluster = candidates[0];
      }
      const spec = (cluster as StoredCluster).current.spec;
      const profileParams = spec.profile ? await deps.clusters.profileParams(spec.profile) : undefined;
      const hardware = await deps.configs.latestHardware(machine.id);
      return previewOf({ machine, spec, profileParams, hardware });
    },

    async previewInSpec({ machine, spec, profileParams, hardware }) {
      const discovered = hardware ?? (machine.id ? await deps.configs.latestHardware(machine.id) : undefined);
      return previewOf({ machine, spec, profileParams, hardware: discovered });
    },
  };
}

/** Whether a spec's machine entry selects the machine (by name or by every label). */
function selects(spec: Pick<ClusterSpec, 'machines'>, machine: Machine): boolean {
  return spec.machines.some((entry) => selectionMatches(entry, machine));
}

function selectionMatches(entry: ClusterSpec['machines'][number], machine: Machine): boolean {
  if (entry.names?.includes(machine.name)) return true;
  const labels = entry.select?.labels;
  return (
    labels !== undefined && Object.entries(labels).every(([key, value]) => machine.labels[key] === value)
  );
}

function roleOf(spec: ClusterSpec, machine: Machine): MachineRole {
  const entry = spec.machines.find((candidate) => selectionMatches(candidate, machine));
  if (!entry) {
    throw new RoleError(
      'TemplateError',
      `Cluster "${spec.name}" does not select machine "${machine.name}".`,
      {
        machine: machine.name,
        cluster: spec.name,
      },
    );
  }
  return entry.role;
}
