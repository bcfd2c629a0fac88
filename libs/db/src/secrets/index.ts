export * from './secret-key';
export * from './secret-store';
