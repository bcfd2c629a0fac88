export * from './environment';
export * from './filters';
export * from './context';
export * from './secrets';
export * from './render';
export * from './boot-tokens';
export * from './install-config-service';
export * from './boot-service';
