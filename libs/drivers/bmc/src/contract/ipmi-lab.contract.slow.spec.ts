import { startIpmiLabBmc } from '../testing/lab-bmcs';
import { describeBmcContract } from './bmc-contract';

// Debian's ipmi_sim (package openipmi) driven with ipmitool: IPMI sees the chassis, not the host's
// hardware, so CPU, memory, drives, NICs and BIOS version are unavailable rather than invented.
describeBmcContract('lab IPMI BMC (ipmi_sim, ipmitool -I lanplus -C 3)', () => startIpmiLabBmc(), {
  readOnly: false,
  unavailable: ['cpu', 'memory', 'drives', 'nics', 'biosVersion'],
  raid: false,
  bios: false,
  virtualMedia: false,
});
