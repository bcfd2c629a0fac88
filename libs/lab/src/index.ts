export * from './machine/lab-machine';
export * from './shared-fixtures';
