export * from './system-activities';
export * from './run-record-activities';
