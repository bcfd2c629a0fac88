import type { JsonObject } from './json';
import type { BmcResponse } from './http-io';
import { etagOf, ifMatchSatisfied } from './odata';
import { preconditionFailed, resourceMissing } from './redfish-error';
import type { BmcContext, RedfishShape } from './shape';

/** Username and password a BMC accepts (Basic auth and session login). */
export interface RedfishCredentials {
  username: string;
  password: string;
}

/** What request handlers of one BMC work with. */
export interface BmcInternals {
  context: BmcContext;
  shape: RedfishShape;
  credentials: RedfishCredentials;
  /** Reboots the BMC (in the background: failures are reported as process warnings). */
  reboot(): void;
}

/** The document at `path` for a 200 (or other) answer, with its ETag. Throws 404 when there is none. */
export function documentResponse(bmc: BmcInternals, path: string, status = 200): BmcResponse {
  const body = bmc.shape.render(path, bmc.context);
  if (!body) throw resourceMissing(path);
  return { status, body, headers: { ETag: etagOf(JSON.stringify(body)) } };
}

/** Refuses a change with 412 when `If-Match` names a representation other than the current one. */
export function checkIfMatch(bmc: BmcInternals, path: string, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return;
  const current: Readonly<JsonObject> | undefined = bmc.shape.render(path, bmc.context);
  if (!current || !ifMatchSatisfied(ifMatch, etagOf(JSON.stringify(current)))) throw preconditionFailed();
}
