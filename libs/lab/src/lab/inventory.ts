import type { InventoryDocument, Machine } from '@plinth/domain';
import { Document, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { LabHardware } from '../machine/lab-machine';
import { LAB_BMC_CREDENTIALS_REF } from './credentials';

/** What the inventory needs to know about one lab machine. */
export interface InventorySource {
  name: string;
  /** `redfish+http://host:port` or `ipmi://host:port`. */
  bmcAddress: string;
  bootMac: string;
  rack: string;
  position: number;
  labels: Record<string, string>;
  hardware: LabHardware;
}

/**
 * One inventory entry in the format of the API (`@plinth/domain` `Machine`): BMC by address with
 * the lab's credentials reference, boot MAC, place, labels, and `expect` computed from the hardware
 * so that discovery of a healthy lab machine finds exactly what is expected.
 */
export function inventoryMachine(source: InventorySource): Machine {
  const { hardware } = source;
  const cpuCores = hardware.cpu.sockets * hardware.cpu.coresPerSocket;
  const memoryMiB = hardware.memory.dimms * hardware.memory.dimmMiB;
  return {
    name: source.name,
    // Mockup serials can be empty; an inventory serial must not be.
    ...(hardware.serial ? { serial: hardware.serial } : {}),
    bmc: { address: source.bmcAddress, credentialsRef: LAB_BMC_CREDENTIALS_REF },
    bootMac: source.bootMac,
    rack: source.rack,
    position: source.position,
    labels: { ...source.labels },
    expect: {
      // The schema wants positive counts: a mockup that does not say is left unchecked.
      ...(cpuCores > 0 ? { cpuCores } : {}),
      ...(memoryMiB > 0 ? { memoryMiB } : {}),
      disks: hardware.drives.length,
    },
  };
}

export function inventoryDocument(sources: Iterable<InventorySource>): InventoryDocument {
  return { machines: [...sources].map(inventoryMachine) };
}

/**
 * The inventory as YAML, in the compact style of `examples/inventory.yaml` (one flow mapping per
 * `bmc`, `labels` and `expect`), with a header saying where the credentials come from.
 */
export function inventoryYaml(inventory: InventoryDocument): string {
  const document = new Document(inventory);
  document.commentBefore = [
    ' Machines of a Plinth lab (simulated datacenter on loopback), written by `plinth lab up`.',
    ` BMC credentials: store the lab's "username:password" as ${LAB_BMC_CREDENTIALS_REF} first (see docs/lab.md).`,
  ].join('\n');
  const machines = document.get('machines');
  const compact = new Set(['bmc', 'labels', 'expect']);
  for (const item of isSeq(machines) ? machines.items : []) {
    if (!isMap(item)) continue;
    for (const pair of item.items) {
      if (isPair(pair) && isScalar(pair.key) && compact.has(String(pair.key.value)) && isMap(pair.value)) {
        pair.value.flow = true;
      }
    }
  }
  return document.toString({ lineWidth: 0 });
}
