export * from './task-queues';
export * from './system-activities';
export * from './deployment';
export * from './roles/role-errors';
