export * from './local-stack';
export * from './temporal-provider';
export * from './supervised-process';
