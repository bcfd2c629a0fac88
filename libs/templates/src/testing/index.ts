export * from './install-cases';
export * from './boot-fixtures';
export * from './validators';
