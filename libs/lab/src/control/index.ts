export { startControlApi } from './control-api';
export type { ControlApi, ControlApiOptions, ControlledLab } from './control-api';
export { applyFaultsPatch } from './faults-patch';
export { ControlError } from './control-error';
