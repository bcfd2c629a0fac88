export * from './plinth-worker';
