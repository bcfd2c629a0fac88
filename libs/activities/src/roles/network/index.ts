export {
  createNetworkActivities,
  liveProblems,
  gatewayOnLink,
  NETPLAN_BACKUP_DIR,
  type NetworkDeps,
} from './network-activities';
export {
  renderNetplan,
  poolInterfaces,
  PLINTH_NETPLAN_PATH,
  type NetplanRenderInput,
  type RenderedNetplan,
  type ExpectedInterface,
} from './render-netplan';
export { desiredPortConfigs } from './switch-ports';
