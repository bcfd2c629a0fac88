export { startIpmiBmc } from './ipmi-bmc';
export type { IpmiBmc, IpmiBmcOptions } from './ipmi-bmc';
export type { HookReply } from './chassis-control';
