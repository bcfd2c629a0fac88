/** Plinth's version, from the workspace's package.json; reported by the API and workers. */
export const PLINTH_VERSION: string = (require('../../../package.json') as { version: string }).version;
