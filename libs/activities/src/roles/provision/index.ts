export * from './provision-activities';
