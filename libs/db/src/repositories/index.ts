export * from './api-tokens';
export * from './audit-log';
export * from './machines';
