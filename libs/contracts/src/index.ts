export * from './task-queues';
export * from './system-activities';
export * from './deployment';
export * from './roles/role-errors';
export * from './roles/bmc';
export * from './roles/discover';
export * from './roles/raid';
