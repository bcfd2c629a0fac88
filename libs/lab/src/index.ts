export * from './machine/lab-machine';
