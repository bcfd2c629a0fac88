export * from './api-tokens';
export * from './audit-log';
