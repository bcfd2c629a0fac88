import { startRedfishLabBmc } from '../testing/lab-bmcs';
import { describeBmcContract } from './bmc-contract';

describeBmcContract(
  'lab Redfish BMC (profile shape, storage-2u)',
  () => startRedfishLabBmc({ profile: 'storage-2u' }),
  {
    readOnly: false,
    unavailable: [],
    raid: true,
    bios: true,
    virtualMedia: false,
  },
);
