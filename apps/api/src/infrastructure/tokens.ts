/** Injection tokens for infrastructure the API receives from its composition root. */
export const DATA_SOURCE = Symbol('DATA_SOURCE');
export const TEMPORAL_CONNECTION = Symbol('TEMPORAL_CONNECTION');
export const PLINTH_CONFIG = Symbol('PLINTH_CONFIG');
export const LOGGER = Symbol('LOGGER');
export const API_TOKENS = Symbol('API_TOKENS');
export const AUDIT_LOG = Symbol('AUDIT_LOG');
export const SECRET_STORE = Symbol('SECRET_STORE');
export const MACHINES = Symbol('MACHINES');
export const CLUSTERS = Symbol('CLUSTERS');
export const RUNS = Symbol('RUNS');
