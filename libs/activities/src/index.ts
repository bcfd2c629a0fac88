export * from './system-activities';
