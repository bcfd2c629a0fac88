import type { BmcInternals } from './bmc-internals';
import type { BmcResponse } from './http-io';
import type { JsonObject } from './json';
import {
  propertyMissing,
  propertyValueTypeError,
  RedfishError,
  resourceMissing,
  unauthorized,
} from './redfish-error';
import { SESSIONS_PATH } from './session-store';

/** `POST SessionService/Sessions {UserName, Password}` → 201 with `X-Auth-Token` and `Location`. */
export function login(bmc: BmcInternals, body: JsonObject | undefined): BmcResponse {
  const input = body ?? {};
  const userName = input['UserName'];
  const password = input['Password'];
  if (userName === undefined) throw propertyMissing('UserName');
  if (password === undefined) throw propertyMissing('Password');
  if (typeof userName !== 'string') throw propertyValueTypeError(userName, 'UserName');
  if (typeof password !== 'string') throw propertyValueTypeError(password, 'Password');
  if (userName !== bmc.credentials.username || password !== bmc.credentials.password) throw unauthorized();
  const { sessions } = bmc.context;
  const session = sessions.create(userName);
  if (!session) {
    throw new RedfishError(
      503,
      'SessionLimitExceeded',
      `The session establishment failed due to the number of simultaneous sessions exceeding the limit of ${sessions.maxSessions}.`,
      {
        resolution: 'Log out of sessions no longer used (DELETE their Location) and retry.',
      },
    );
  }
  return {
    status: 201,
    body: sessions.sessionDocument(session),
    headers: { 'X-Auth-Token': session.token, Location: `${SESSIONS_PATH}/${session.id}` },
  };
}

/** `DELETE SessionService/Sessions/<id>`: logs the session out; its token stops working at once. */
export function logout(bmc: BmcInternals, id: string): BmcResponse {
  if (!bmc.context.sessions.delete(id)) throw resourceMissing(`${SESSIONS_PATH}/${id}`);
  return { status: 204 };
}

/** `POST Managers/<id>/Actions/Manager.Reset`: the BMC answers, then reboots (sessions lost, briefly unreachable). */
export function resetManager(bmc: BmcInternals, body: JsonObject | undefined): BmcResponse {
  const allowed = ['ForceRestart', 'GracefulRestart'];
  const resetType = body?.['ResetType'];
  if (resetType !== undefined && (typeof resetType !== 'string' || !allowed.includes(resetType))) {
    throw new RedfishError(
      400,
      'ActionParameterValueNotInList',
      `The value '${String(resetType)}' for the parameter ResetType in the action Manager.Reset is not in the list of acceptable values (${allowed.join(', ')}).`,
      {
        args: [String(resetType), 'ResetType', 'Manager.Reset'],
      },
    );
  }
  return { status: 204, afterSend: () => bmc.reboot() };
}
