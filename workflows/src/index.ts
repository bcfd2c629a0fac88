/** Every workflow the worker registers. Only deterministic code may be reachable from here. */
export * from './system';
export * from './deploy-cluster';
