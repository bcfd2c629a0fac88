export * from './machine/lab-machine';
export * from './shared-fixtures';
export * from './hardware';
export * from './redfish';
export * from './ipmi';
export * from './lab';
export * from './control';
export * from './host';
