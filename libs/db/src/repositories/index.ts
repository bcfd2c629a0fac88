export * from './api-tokens';
export * from './audit-log';
export * from './machines';
export * from './canonical-json';
export * from './clusters';
export * from './runs';
export * from './hardware-inventories';
