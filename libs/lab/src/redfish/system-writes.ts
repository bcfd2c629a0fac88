import type { BootOverrideEnabled, BootTarget, ResetType } from '../machine/lab-machine';
import { checkIfMatch, documentResponse, type BmcInternals } from './bmc-internals';
import type { BmcResponse } from './http-io';
import { isJsonObject, type JsonObject } from './json';
import {
  actionParameterMissing,
  actionParameterNotInList,
  propertyUnknown,
  propertyValueNotInList,
  propertyValueTypeError,
  RedfishError,
} from './redfish-error';
import { BOOT_MODES, type BootMode } from './shape';

const RESET_ACTION = 'ComputerSystem.Reset';
const OVERRIDE_ENABLED: readonly BootOverrideEnabled[] = ['Disabled', 'Once', 'Continuous'];

/**
 * `POST …/Actions/ComputerSystem.Reset`: answered at once with 204 while the power state changes
 * after `timings.powerMs`, as real BMCs do; clients poll PowerState.
 */
export function resetSystem(bmc: BmcInternals, body: JsonObject | undefined): BmcResponse {
  const parameters = body ?? {};
  for (const name of Object.keys(parameters)) {
    if (name !== 'ResetType') {
      throw new RedfishError(
        400,
        'ActionParameterUnknown',
        `The action ${RESET_ACTION} was submitted with the invalid parameter ${name}.`,
        {
          args: [RESET_ACTION, name],
        },
      );
    }
  }
  const resetType = parameters['ResetType'];
  if (resetType === undefined) throw actionParameterMissing(RESET_ACTION, 'ResetType');
  if (typeof resetType !== 'string' || !bmc.shape.resetTypes.includes(resetType)) {
    throw actionParameterNotInList(
      JSON.stringify(resetType),
      'ResetType',
      RESET_ACTION,
      bmc.shape.resetTypes,
    );
  }
  const effect = bmc.shape.resetEffect(resetType, bmc.context.machine);
  if (effect !== 'none') startReset(bmc, effect);
  return { status: 204 };
}

function startReset(bmc: BmcInternals, type: ResetType): void {
  const { machine } = bmc.context;
  // Deliberately not awaited: the HTTP answer does not wait for the power change.
  void machine.reset(type).catch((error: unknown) => {
    process.emitWarning(
      `lab machine ${machine.name}: ${type} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
}

/** `PATCH` the ComputerSystem: only `Boot` is writable (override enabled/target/mode). */
export function patchSystem(
  bmc: BmcInternals,
  body: JsonObject | undefined,
  ifMatch: string | undefined,
): BmcResponse {
  const { shape, context } = bmc;
  checkIfMatch(bmc, shape.systemPath, ifMatch);
  if (!body || Object.keys(body).length === 0) throw emptyJson();
  const current = shape.render(shape.systemPath, context) ?? {};
  for (const key of Object.keys(body)) {
    if (key !== 'Boot') throw key in current ? propertyNotWritable(key) : propertyUnknown(key);
  }
  const boot = body['Boot'];
  if (!isJsonObject(boot)) throw propertyValueTypeError(boot, 'Boot');
  const currentBoot = isJsonObject(current['Boot']) ? current['Boot'] : {};
  let enabled: BootOverrideEnabled | undefined;
  let target: BootTarget | undefined;
  let mode: BootMode | undefined;
  for (const [key, value] of Object.entries(boot)) {
    const property = `Boot/${key}`;
    switch (key) {
      case 'BootSourceOverrideEnabled':
        enabled = oneOf(value, OVERRIDE_ENABLED, property);
        break;
      case 'BootSourceOverrideTarget':
        target = oneOf(value, shape.bootTargets, property);
        break;
      case 'BootSourceOverrideMode':
        mode = oneOf(value, BOOT_MODES, property);
        break;
      default:
        throw key in currentBoot ? propertyNotWritable(property) : propertyUnknown(property);
    }
  }
  if (mode !== undefined) context.bootMode = mode;
  if (enabled !== undefined || target !== undefined) {
    const override = context.machine.bootOverride;
    context.machine.setBootOverride({
      enabled: enabled ?? override.enabled,
      target: target ?? override.target,
    });
  }
  return documentResponse(bmc, shape.systemPath);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], property: string): T {
  if (typeof value !== 'string') throw propertyValueTypeError(value, property);
  if (!(allowed as readonly string[]).includes(value)) throw propertyValueNotInList(value, property, allowed);
  return value as T;
}

export const emptyJson = (): RedfishError =>
  new RedfishError(
    400,
    'EmptyJSON',
    'The request body submitted contained an empty JSON object and the service is unable to process it.',
  );

export const propertyNotWritable = (property: string): RedfishError =>
  new RedfishError(
    400,
    'PropertyNotWritable',
    `The property ${property} is a read only property and cannot be assigned a value.`,
    {
      args: [property],
      relatedProperties: [`#/${property}`],
    },
  );
