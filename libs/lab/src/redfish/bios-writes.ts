import { checkIfMatch, documentResponse, type BmcInternals } from './bmc-internals';
import type { BmcResponse } from './http-io';
import { isJsonObject, type JsonObject } from './json';
import {
  propertyMissing,
  propertyUnknown,
  propertyValueNotInList,
  propertyValueTypeError,
  resourceMissing,
} from './redfish-error';
import { emptyJson } from './system-writes';

type BiosValue = string | number | boolean;

/**
 * `PATCH Bios/Settings {Attributes}`: stages attributes for the next power-on, when the machine
 * applies them (`LabMachine.powerOn`). Unknown attributes and values of the wrong type are refused
 * up front, as the attribute registry would refuse them.
 */
export function patchBiosSettings(
  bmc: BmcInternals,
  body: JsonObject | undefined,
  ifMatch: string | undefined,
): BmcResponse {
  const settingsPath = bmc.shape.bios?.settingsPath;
  if (!settingsPath) throw resourceMissing('Bios/Settings');
  checkIfMatch(bmc, settingsPath, ifMatch);
  if (!body || Object.keys(body).length === 0) throw emptyJson();
  for (const [key, value] of Object.entries(body)) {
    if (key === '@Redfish.SettingsApplyTime') checkApplyTime(value);
    else if (key !== 'Attributes') throw propertyUnknown(key);
  }
  const attributes = body['Attributes'];
  if (attributes === undefined) throw propertyMissing('Attributes');
  if (!isJsonObject(attributes)) throw propertyValueTypeError(attributes, 'Attributes');
  const { machine } = bmc.context;
  const staged: Record<string, BiosValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const current = machine.biosAttributes[name];
    if (current === undefined) throw propertyUnknown(`Attributes/${name}`);
    if (typeof value !== typeof current) throw propertyValueTypeError(value, `Attributes/${name}`);
    staged[name] = value as BiosValue;
  }
  machine.stageBiosAttributes(staged);
  return documentResponse(bmc, settingsPath);
}

/** `POST Bios/Actions/Bios.ResetBios`: the factory attributes, staged like any other change. */
export function resetBios(bmc: BmcInternals): BmcResponse {
  const { machine } = bmc.context;
  machine.stageBiosAttributes({ ...machine.hardware.biosAttributes });
  return { status: 204 };
}

function checkApplyTime(value: unknown): void {
  const applyTime = isJsonObject(value) ? value['ApplyTime'] : undefined;
  // The lab applies BIOS settings at the next reset only, as most BMCs do for BIOS.
  if (applyTime !== 'OnReset')
    throw propertyValueNotInList(applyTime, '@Redfish.SettingsApplyTime/ApplyTime', ['OnReset']);
}
