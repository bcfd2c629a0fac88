import { createHash } from 'node:crypto';
import {
  RoleError,
  type ApplyNetworkInput,
  type ApplyNetworkResult,
  type ClusterRevisionRef,
  type NetworkActivities,
  type SshAccess,
} from '@plinth/contracts';
import { AddressPoolExhaustedError, type ClusterRepository, type IpAllocationRepository } from '@plinth/db';
import { parseIpv4, type NetworkPlan, type OsFamily } from '@plinth/domain';
import { shellCommand, type SshDriver } from '@plinth/driver-ssh';
import { SwitchError, type SwitchDriverRegistry } from '@plinth/driver-switch';
import type { Logger } from '@plinth/logger';
import {
  cancellationSignal,
  heartbeat,
  roleActivity,
  sleepUnlessCancelled,
  withHeartbeats,
} from '../verify-os/ssh-activity-support';
import {
  PLINTH_NETPLAN_PATH,
  poolInterfaces,
  renderNetplan,
  type ExpectedInterface,
  type RenderedNetplan,
} from './render-netplan';
import { desiredPortConfigs } from './switch-ports';

export interface NetworkDeps {
  ssh: SshDriver;
  /** Where the cluster's network plan is read from. */
  clusters: Pick<ClusterRepository, 'revision'>;
  ipAllocations: IpAllocationRepository;
  switches: SwitchDriverRegistry;
  logger?: Logger;
  /** Heartbeat period during long waits. Default 2 s. */
  heartbeatIntervalMs?: number;
  /** How long to keep trying to restore the previous files after a reverted apply. Default 60 s. */
  restoreWindowMs?: number;
}

/** Where the configuration from before Plinth's apply is kept until the apply is confirmed. */
export const NETPLAN_BACKUP_DIR = '/var/lib/plinth/netplan-backup';
const CLOUD_INIT_NETWORK_OFF = '/etc/cloud/cloud.cfg.d/99-plinth-network.cfg';

interface LiveLink {
  ifname: string;
  master?: string;
  link?: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

async function planOf(deps: NetworkDeps, ref: ClusterRevisionRef): Promise<NetworkPlan> {
  const revision = await deps.clusters.revision(ref.clusterId, ref.revision);
  if (!revision)
    throw new RoleError('TemplateError', `Cluster ${ref.clusterId} has no revision ${ref.revision}.`);
  return revision.spec.network;
}

/** What differs between the host's live interfaces (`ip -j addr`) and what the plan expects. */
export function liveProblems(live: LiveLink[], expected: ExpectedInterface[]): string[] {
  const byName = new Map(live.map((link) => [link.ifname, link]));
  const problems: string[] = [];
  for (const want of expected) {
    const link = byName.get(want.name);
    if (!link) {
      problems.push(`${want.name} does not exist`);
      continue;
    }
    for (const member of want.members ?? []) {
      if (byName.get(member)?.master !== want.name)
        problems.push(`${member} is not a member of ${want.name}`);
    }
    if (want.parent !== undefined && link.link !== want.parent)
      problems.push(`${want.name} is not on ${want.parent}`);
    const present = new Set(
      (link.addr_info ?? [])
        .filter((info) => info.family === 'inet')
        .map((info) => `${info.local}/${info.prefixlen}`),
    );
    for (const address of want.addresses)
      if (!present.has(address)) problems.push(`${want.name} lacks ${address}`);
  }
  return problems;
}

/** Whether `gateway` lies on a network of one of the host's live IPv4 addresses. */
export function gatewayOnLink(live: LiveLink[], gateway: string): boolean {
  const wanted = parseIpv4(gateway);
  if (wanted === undefined) return false;
  return live.some((link) =>
    (link.addr_info ?? []).some((info) => {
      const local = parseIpv4(info.local);
      if (info.family !== 'inet' || local === undefined || info.prefixlen <= 0) return false;
      const size = 2 ** (32 - info.prefixlen);
      return Math.floor(local / size) === Math.floor(wanted / size) && local !== wanted;
    }),
  );
}

/** Builds the {@link NetworkActivities}. */
export const createNetworkActivities = (deps: NetworkDeps): NetworkActivities => {
  const heartbeatMs = deps.heartbeatIntervalMs ?? 2000;

  async function liveLinks(target: SshAccess): Promise<LiveLink[]> {
    const result = await deps.ssh.run(target, 'ip -j addr', { signal: cancellationSignal() });
    try {
      return JSON.parse(result.stdout) as LiveLink[];
    } catch {
      throw new RoleError('CommandFailed', `"ip -j addr" on machine ${target.machineId} did not print JSON.`);
    }
  }

  async function netplanFiles(target: SshAccess): Promise<string[]> {
    const listed = await deps.ssh.exec(target, 'sudo ls /etc/netplan', { signal: cancellationSignal() });
    return listed.exitCode === 0 ? listed.stdout.split('\n').filter((name) => name.endsWith('.yaml')) : [];
  }

  async function ensureNetplan(target: SshAccess, family: OsFamily): Promise<void> {
    const apt = family === 'ubuntu' || family === 'debian';
    const check = apt ? 'dpkg -s netplan.io' : 'rpm -q netplan';
    if ((await deps.ssh.exec(target, check, { signal: cancellationSignal() })).exitCode === 0) return;
    await deps.ssh.run(target, apt ? 'sudo apt-get install -y netplan.io' : 'sudo dnf install -y netplan', {
      signal: cancellationSignal(),
      timeoutMs: 600_000,
    });
  }

  /** Keep the configuration from before this apply, unless an unfinished earlier attempt already did. */
  async function backUp(target: SshAccess, files: string[]): Promise<void> {
    const kept = await deps.ssh.exec(target, `sudo test -d ${NETPLAN_BACKUP_DIR}`, {
      signal: cancellationSignal(),
    });
    if (kept.exitCode === 0) return;
    const copies = files.map(
      (name) => `sudo cp /etc/netplan/${shellCommand(name)} ${NETPLAN_BACKUP_DIR}/${shellCommand(name)}`,
    );
    await deps.ssh.run(target, [`sudo mkdir -p ${NETPLAN_BACKUP_DIR}`, ...copies].join(' && '), {
      signal: cancellationSignal(),
    });
  }

  /** Put the backed-up files back and drop the backup. Retries while the host comes back from a revert. */
  async function restore(target: SshAccess): Promise<string | undefined> {
    const deadline = Date.now() + (deps.restoreWindowMs ?? 60_000);
    for (;;) {
      try {
        const listed = await deps.ssh.exec(target, `sudo ls ${NETPLAN_BACKUP_DIR}`);
        if (listed.exitCode !== 0) return undefined;
        const names = listed.stdout.split('\n').filter((name) => name.endsWith('.yaml'));
        const commands = [
          'sudo rm -f /etc/netplan/*.yaml',
          ...names.map(
            (name) =>
              `sudo cp ${NETPLAN_BACKUP_DIR}/${shellCommand(name)} /etc/netplan/${shellCommand(name)} && sudo chmod 600 /etc/netplan/${shellCommand(name)}`,
          ),
          `sudo rm -rf ${NETPLAN_BACKUP_DIR}`,
        ];
        await deps.ssh.run(target, commands.join(' && '));
        return undefined;
      } catch (error) {
        if (Date.now() > deadline) return error instanceof Error ? error.message : String(error);
        heartbeat({ step: 'restoring previous network files' });
        await sleepUnlessCancelled(2000, cancellationSignal());
      }
    }
  }

  async function applyNtp(target: SshAccess, family: OsFamily, servers: string[]): Promise<void> {
    if (servers.length === 0) return;
    const apt = family === 'ubuntu' || family === 'debian';
    const path = apt ? '/etc/chrony/sources.d/plinth.sources' : '/etc/chrony.d/plinth.conf';
    const content = `# Written by Plinth (network role).\n${servers.map((server) => `server ${server} iburst`).join('\n')}\n`;
    const current = await deps.ssh.exec(target, `sudo cat ${path}`, { signal: cancellationSignal() });
    if (current.exitCode === 0 && current.stdout === content) return;
    const signal = cancellationSignal();
    await deps.ssh.run(target, apt ? 'sudo apt-get install -y chrony' : 'sudo dnf install -y chrony', {
      signal,
      timeoutMs: 600_000,
    });
    await deps.ssh.run(
      target,
      `sudo mkdir -p ${path.slice(0, path.lastIndexOf('/'))} && sudo tee ${path} > /dev/null`,
      { signal, stdin: content },
    );
    await deps.ssh.run(target, `sudo systemctl restart ${apt ? 'chrony' : 'chronyd'}`, { signal });
  }

  /** `netplan try`: confirm only once a fresh connection works and the addresses are in place. */
  async function tryAndConfirm(
    target: SshAccess,
    rendered: RenderedNetplan,
    timeoutSeconds: number,
  ): Promise<string[]> {
    const signal = cancellationSignal();
    const process = await deps.ssh.start(target, `sudo netplan try --timeout ${timeoutSeconds}`, {
      signal,
      timeoutMs: (timeoutSeconds + 60) * 1000,
    });
    const prompted = await withHeartbeats(
      process.waitForStdout(/Press ENTER before the timeout to accept/, 60_000),
      () => ({ step: 'netplan try: applying' }),
      heartbeatMs,
    );
    if (!prompted) {
      process.kill();
      const ended = await process.result.catch((error: unknown) => ({
        stderr: String(error),
        stdout: '',
        exitCode: null,
      }));
      signal?.throwIfAborted();
      return [
        `netplan try did not apply the configuration: ${(ended.stderr || ended.stdout).trim() || 'no output'}`,
      ];
    }
    const problems: string[] = [];
    try {
      await deps.ssh.checkReachable(target);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      problems.push(
        `a new SSH connection failed (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (problems.length === 0) {
      try {
        problems.push(...liveProblems(await liveLinks(target), rendered.expected));
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        problems.push(
          `could not read the interfaces (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    }
    if (problems.length === 0) process.write('\n');
    // Unconfirmed, netplan reverts by itself when its timeout passes; wait for it.
    const ended = await withHeartbeats(
      process.result.catch(() => ({ exitCode: null, stdout: '', stderr: '' })),
      () => ({
        step: problems.length === 0 ? 'netplan try: confirming' : 'netplan try: waiting for the revert',
      }),
      heartbeatMs,
    );
    signal?.throwIfAborted();
    if (problems.length === 0 && ended.exitCode !== 0)
      problems.push(`netplan try did not accept the confirmation (exit ${String(ended.exitCode)})`);
    return problems;
  }

  return {
    allocateAddresses: (input) =>
      roleActivity(async () => {
        const plan = await planOf(deps, input);
        const addresses = [];
        for (const { interfaceName, pool } of poolInterfaces(plan)) {
          const spec = plan.pools[pool];
          if (!spec)
            throw new RoleError(
              'TemplateError',
              `Network plan: ${interfaceName} asks for pool ${pool}, which the plan does not define.`,
            );
          try {
            const allocated = await deps.ipAllocations.allocate({
              clusterId: input.clusterId,
              pool,
              cidr: spec.cidr,
              ...(spec.range !== undefined ? { range: spec.range } : {}),
              ...(spec.gateway !== undefined ? { gateway: spec.gateway } : {}),
              machineId: input.machineId,
              interfaceName,
            });
            addresses.push({ interfaceName, pool, address: allocated.address, prefix: allocated.prefix });
          } catch (error) {
            if (error instanceof AddressPoolExhaustedError) {
              throw new RoleError(
                'AddressPoolExhausted',
                `${error.message} (machine ${input.machineId}, interface ${interfaceName})`,
                {
                  pool,
                  machineId: input.machineId,
                },
              );
            }
            throw error;
          }
        }
        return { addresses };
      }),

    configureSwitchPorts: (input) =>
      roleActivity(async () => {
        const plan = await planOf(deps, input);
        let changed = 0;
        let unchanged = 0;
        for (const port of desiredPortConfigs(plan, input.machineName, input.links, input.untaggedVlan)) {
          heartbeat({ step: 'switch port', switchId: port.switchId, portId: port.portId });
          try {
            const result = await deps.switches.get(port.switchId).configurePort(port.portId, port.config);
            if (result.changed) changed += 1;
            else unchanged += 1;
          } catch (error) {
            if (!(error instanceof SwitchError)) throw error;
            throw new RoleError(
              error.retryable ? 'CommandFailed' : 'NetworkApplyFailed',
              `Switch port ${port.switchId} ${port.portId} (machine ${input.machineName} ${port.nic}): ${error.message}`,
              { switchId: port.switchId, portId: port.portId, switchError: error.code },
            );
          }
        }
        return { changed, unchanged };
      }),

    applyNetwork: (input: ApplyNetworkInput) =>
      roleActivity(async (): Promise<ApplyNetworkResult> => {
        const plan = await planOf(deps, input);
        const target = input.ssh;
        const signal = cancellationSignal();
        if (plan.bonds.length === 0 && plan.vlans.length === 0) {
          // Nothing to configure: the installer's network stays as it is.
          await applyNtp(target, input.osFamily, plan.ntp);
          return { changed: false, netplanSha256: createHash('sha256').update('').digest('hex') };
        }
        const rendered = renderNetplan({
          plan,
          nics: input.nics,
          addresses: input.addresses,
          ...(input.bootNic !== undefined ? { bootNic: input.bootNic } : {}),
        });
        heartbeat({ step: 'reading the host network' });
        await ensureNetplan(target, input.osFamily);
        const files = await netplanFiles(target);
        const current = await deps.ssh.exec(target, `sudo cat ${PLINTH_NETPLAN_PATH}`, { signal });
        const alreadyWritten = current.exitCode === 0 && current.stdout === rendered.yaml;
        const foreign = files.filter((name) => `/etc/netplan/${name}` !== PLINTH_NETPLAN_PATH);
        const liveOk = liveProblems(await liveLinks(target), rendered.expected).length === 0;
        let changed = false;
        if (!(alreadyWritten && foreign.length === 0 && liveOk)) {
          changed = true;
          heartbeat({ step: 'writing netplan', sha256: rendered.sha256 });
          await backUp(target, files);
          await deps.ssh.run(
            target,
            [
              'sudo mkdir -p /etc/netplan',
              `sudo tee ${PLINTH_NETPLAN_PATH} > /dev/null`,
              `sudo chmod 600 ${PLINTH_NETPLAN_PATH}`,
              ...foreign.map((name) => `sudo rm -f /etc/netplan/${shellCommand(name)}`),
            ].join(' && '),
            { signal, stdin: rendered.yaml },
          );
          const generated = await deps.ssh.exec(target, 'sudo netplan generate', { signal });
          const problems =
            generated.exitCode === 0
              ? await tryAndConfirm(target, rendered, input.tryTimeoutSeconds ?? 60)
              : [`netplan rejected the configuration: ${generated.stderr.trim()}`];
          if (problems.length > 0) {
            const restoreProblem = await restore(target);
            throw new RoleError(
              'NetworkApplyFailed',
              `Network settings for machine ${input.machineId} were not kept: ${problems.join('; ')}. netplan reverted the running configuration and ${restoreProblem ? `restoring the previous files failed (${restoreProblem}); they are still in ${NETPLAN_BACKUP_DIR} on the host` : 'the previous files were restored'}. Check the network plan (addresses, VLANs, bond members) and the switch ports.`,
              { machineId: input.machineId, problems, netplanSha256: rendered.sha256 },
            );
          }
          await deps.ssh.run(
            target,
            `sudo rm -rf ${NETPLAN_BACKUP_DIR} && sudo mkdir -p /etc/cloud/cloud.cfg.d && sudo tee ${CLOUD_INIT_NETWORK_OFF} > /dev/null`,
            {
              signal,
              stdin:
                '# Written by Plinth: the network role owns /etc/netplan.\nnetwork: {config: disabled}\n',
            },
          );
          deps.logger?.info(
            { machineId: input.machineId, netplanSha256: rendered.sha256 },
            'network applied',
          );
        }
        await applyNtp(target, input.osFamily, rendered.ntp);
        const live = await liveLinks(target);
        const problems = liveProblems(live, rendered.expected);
        if (rendered.gateway && !gatewayOnLink(live, rendered.gateway))
          problems.push(`gateway ${rendered.gateway} is on none of the host's networks`);
        if (problems.length > 0) {
          throw new RoleError(
            'NetworkApplyFailed',
            `Machine ${input.machineId} does not run the planned network: ${problems.join('; ')}.`,
            {
              machineId: input.machineId,
              problems,
            },
          );
        }
        return {
          changed,
          netplanSha256: rendered.sha256,
          ...(rendered.gateway ? { gateway: rendered.gateway } : {}),
        };
      }),
  };
};
