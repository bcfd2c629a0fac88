export { startRedfishBmc } from './redfish-bmc';
export type { RedfishBmc, RedfishBmcOptions, RedfishShapeSpec } from './redfish-bmc';
export type { RedfishCredentials } from './bmc-internals';
export { isMockupName, loadMockupTree, MOCKUP_NAMES } from './mockup-tree';
export type { MockupName, MockupTree } from './mockup-tree';
