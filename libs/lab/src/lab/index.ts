export { startLab, DEFAULT_NETBOOT_URL } from './start-lab';
export type { Lab, LabBmcEndpoint, LabMachineEntry, LabOptions } from './lab-types';
export { defaultTopology, checkTopology, rackLayout, RACK_UNITS } from './topology';
export type { DefaultTopologyOptions, LabHardwareShape, LabMachineSpec } from './topology';
export { machineAddress, machineOctets, parseLoopbackNetwork, MAX_ADDRESSED_MACHINES } from './address-plan';
export type { LoopbackNetwork } from './address-plan';
export {
  LAB_BMC_CREDENTIALS_REF,
  credentialsSecretValue,
  generateLabCredentials,
  type LabBmcCredentials,
} from './credentials';
export { inventoryDocument, inventoryMachine, inventoryYaml, type InventorySource } from './inventory';
