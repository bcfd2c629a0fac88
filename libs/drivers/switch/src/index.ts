export * from './switch-driver';
export * from './lab-switch';
