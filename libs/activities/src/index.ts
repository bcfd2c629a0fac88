export * from './system-activities';
export * from './run-record-activities';
export * from './roles/discover/discover-activities';
export * from './roles/raid/raid-activities';
export * from './roles/raid/raid-plan';
export * from './roles/power/power-activities';
export type { BmcRoleDeps } from './roles/power/bmc-activity-support';
