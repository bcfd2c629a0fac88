/** Public API of the built-in Temporal dev server. */
export { startDevServer, type DevServerHandle, type DevServerOptions } from './server';
export type { LogLevel } from './logger';
