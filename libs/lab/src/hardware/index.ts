export { createHardware, HARDWARE_PROFILES, isHardwareProfile, LAB_MANUFACTURER } from './hardware-profiles';
export type { HardwareOptions, HardwareProfile } from './hardware-profiles';
export { labMac, labSerial, MAX_LAB_MACHINES, MAX_NICS_PER_MACHINE } from './lab-identity';
export { hardwareFromMockup } from './mockup-hardware';
