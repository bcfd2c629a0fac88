export * from './bmc-driver';
export * from './call-policy';
export * from './credentials';
export { describeBmc, isRoleError, type BmcSubject } from './bmc-errors';
export * from './registry';
export { RedfishBmcDriver, type RedfishDriverOptions } from './redfish/redfish-driver';
export {
  RedfishTransport,
  SESSIONS_PATH,
  type RedfishExchange,
  type RedfishTransportOptions,
} from './redfish/redfish-transport';
export { IpmiBmcDriver, type IpmiDriverOptions } from './ipmi/ipmi-driver';
export { ipmitoolArgs } from './ipmi/ipmitool';
