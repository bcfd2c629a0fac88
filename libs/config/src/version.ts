import { version } from '../package.json';

/** Plinth's version, kept equal across the workspace's package.json files; reported by the API and workers. */
export const PLINTH_VERSION: string = version;
