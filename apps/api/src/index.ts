export * from './api-app';
