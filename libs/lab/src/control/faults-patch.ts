import type { LabFaults } from '../machine/lab-machine';
import { badRequest } from './control-error';

const RATES = ['http503Rate', 'http401Rate'] as const;
const SWITCHES = ['hang', 'installFailure', 'sshRefuse'] as const;
const KNOWN = ['latencyMs', ...RATES, ...SWITCHES];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Applies a partial {@link LabFaults} (as `PATCH /machines/:name/faults` receives it) to `current`
 * and returns the result; `current` is not changed. `latencyMs` may itself be partial.
 * Throws a 400 {@link ControlError} naming the first wrong field, so nothing is half-applied.
 */
export function applyFaultsPatch(current: LabFaults, patch: unknown): LabFaults {
  if (!isObject(patch))
    throw badRequest('the body must be a JSON object of faults, e.g. {"http503Rate": 0.2}');
  const next: LabFaults = { ...current, latencyMs: { ...current.latencyMs } };
  for (const [field, value] of Object.entries(patch)) {
    if (field === 'latencyMs') {
      next.latencyMs = latency(current.latencyMs, value);
    } else if ((RATES as readonly string[]).includes(field)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
        throw badRequest(`${field} must be a probability between 0 and 1, got ${JSON.stringify(value)}`);
      }
      next[field as (typeof RATES)[number]] = value;
    } else if ((SWITCHES as readonly string[]).includes(field)) {
      if (typeof value !== 'boolean')
        throw badRequest(`${field} must be true or false, got ${JSON.stringify(value)}`);
      next[field as (typeof SWITCHES)[number]] = value;
    } else {
      throw badRequest(
        `unknown fault "${field}"; the faults are ${KNOWN.join(', ')} (drive failures: POST /machines/:name/drives/:driveId/fail)`,
      );
    }
  }
  return next;
}

function latency(current: LabFaults['latencyMs'], value: unknown): LabFaults['latencyMs'] {
  if (!isObject(value)) throw badRequest('latencyMs must be an object {"min": ms, "max": ms}');
  const next = { ...current };
  for (const [key, bound] of Object.entries(value)) {
    if (key !== 'min' && key !== 'max')
      throw badRequest(`latencyMs.${key} is not a field; latencyMs has min and max (ms)`);
    if (typeof bound !== 'number' || !Number.isFinite(bound) || bound < 0 || bound > 600_000) {
      throw badRequest(
        `latencyMs.${key} must be a number of milliseconds between 0 and 600000, got ${JSON.stringify(bound)}`,
      );
    }
    next[key] = bound;
  }
  // Giving only `min` above the current `max` means a fixed latency, not an error.
  if (!('max' in value) && next.min > next.max) next.max = next.min;
  if (next.min > next.max)
    throw badRequest(`latencyMs.min (${next.min}) must not exceed latencyMs.max (${next.max})`);
  return next;
}
