import type { LabMachineEntry } from '../lab/lab-types';
import type { LabDrive } from '../machine/lab-machine';

/** How the control API shows a machine in lists: what a test or demo watches. */
export function machineSummary(entry: LabMachineEntry): Record<string, unknown> {
  const { machine } = entry;
  const ssh = entry.sshAddress();
  const os = machine.installedOs;
  return {
    name: entry.name,
    number: entry.number,
    hardware: entry.hardwareShape,
    labels: entry.spec.labels,
    rack: entry.rack,
    position: entry.position,
    bootMac: machine.bootMac,
    power: machine.power,
    phase: machine.phase,
    bootOverride: machine.bootOverride,
    bmc: { protocol: entry.bmc.protocol, address: entry.bmc.address, url: entry.bmc.url ?? null },
    ssh: { host: ssh.host, port: ssh.port ?? null },
    counters: machine.counters,
    faults: machine.faults,
    installedOs: os
      ? {
          family: os.family,
          version: os.version,
          hostname: os.hostname,
          user: os.user,
          addresses: os.addresses,
        }
      : null,
    lastBootError: machine.lastBootError ?? null,
  };
}

/** One machine in full: the summary plus drives, volumes, BIOS and the SSH host key. */
export function machineDetail(entry: LabMachineEntry): Record<string, unknown> {
  const { machine } = entry;
  return {
    ...machineSummary(entry),
    drives: machine.hardware.drives.map(driveView),
    volumes: machine.volumes,
    biosAttributes: machine.biosAttributes,
    pendingBiosAttributes: machine.pendingBiosAttributes,
    hostKeySha256: entry.host.hostKeySha256 ?? null,
  };
}

export function driveView(drive: LabDrive): Record<string, unknown> {
  return {
    id: drive.id,
    model: drive.model,
    serial: drive.serial,
    capacityBytes: drive.capacityBytes,
    media: drive.media,
    failed: drive.failed,
  };
}
