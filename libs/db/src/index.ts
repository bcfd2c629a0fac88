export * from './data-source';
export * from './database';
export * from './embedded/embedded-postgres-server';
export { findFreePort } from './embedded/free-port';
export * from './entities';
export * from './secrets';
export * from './repositories';
