import { startRedfishLabBmc } from '../testing/lab-bmcs';
import { describeBmcContract } from './bmc-contract';

// Third-party documents (DMTF Redfish-Publications mockups, read from ../shared/fixtures/redfish)
// served by the lab's Redfish BMC: only read-only calls are made on them.
describeBmcContract(
  'DMTF mockup public-rackmount1 (SimpleStorage, no RAID)',
  () => startRedfishLabBmc({ mockup: 'dmtf-public-rackmount1' }),
  { readOnly: true, unavailable: [], raid: false, bios: true, virtualMedia: true },
);

describeBmcContract(
  'DMTF mockup public-localstorage (Storage with Volumes)',
  () => startRedfishLabBmc({ mockup: 'dmtf-public-localstorage' }),
  { readOnly: true, unavailable: [], raid: true, bios: true, virtualMedia: true },
);
