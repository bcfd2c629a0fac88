import type { BmcInternals } from './bmc-internals';
import { patchBiosSettings, resetBios } from './bios-writes';
import type { BmcResponse } from './http-io';
import type { JsonObject } from './json';
import { etagOf } from './odata';
import { SESSIONS_PATH } from './session-store';
import { login, logout, resetManager } from './session-writes';
import { memberId } from './shape';
import { patchSystem, resetSystem } from './system-writes';
import { taskMonitor } from './task-monitor';
import { TASK_MONITORS_PATH, TASKS_PATH } from './task-store';
import { createVolume, deleteVolume } from './volume-writes';

/** A request as handlers see it, after authentication and body parsing. */
export interface RoutedRequest {
  body: JsonObject | undefined;
  ifMatch: string | undefined;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Handler = (request: RoutedRequest) => BmcResponse;
/** The methods a resource path answers. */
export type Route = Partial<Record<HttpMethod, Handler>>;

/** Readable without credentials, as DSP0266 requires: the version document, service root, OData document, and login. */
export function isPublic(method: string, path: string): boolean {
  if (method === 'POST') return path === SESSIONS_PATH;
  return (
    (method === 'GET' || method === 'HEAD') && ['/redfish', '/redfish/v1', '/redfish/v1/odata'].includes(path)
  );
}

const ok = (body: Readonly<JsonObject>): BmcResponse => ({
  status: 200,
  body,
  headers: { ETag: etagOf(JSON.stringify(body)) },
});

/** The route of `path`, or undefined when nothing lives there (404). */
export function routeFor(bmc: BmcInternals, path: string): Route | undefined {
  const { shape, context } = bmc;
  const { sessions, tasks } = context;

  if (path === '/redfish') return { GET: () => ok({ v1: '/redfish/v1/' }) };
  if (path === SESSIONS_PATH) {
    return { GET: () => ok(sessions.collectionDocument()), POST: ({ body }) => login(bmc, body) };
  }
  const sessionId = memberId(path, SESSIONS_PATH);
  if (sessionId !== undefined) {
    const session = sessions.find(sessionId);
    if (!session) return undefined;
    return { GET: () => ok(sessions.sessionDocument(session)), DELETE: () => logout(bmc, sessionId) };
  }
  if (path === TASKS_PATH) return { GET: () => ok(tasks.collectionDocument()) };
  const taskId = memberId(path, TASKS_PATH);
  if (taskId !== undefined) {
    const task = tasks.get(taskId);
    return task ? { GET: () => ok(tasks.taskDocument(task)) } : undefined;
  }
  const monitorId = memberId(path, TASK_MONITORS_PATH);
  if (monitorId !== undefined)
    return tasks.get(monitorId) ? { GET: () => taskMonitor(bmc, monitorId) } : undefined;

  if (path === `${shape.systemPath}/Actions/ComputerSystem.Reset`)
    return { POST: ({ body }) => resetSystem(bmc, body) };
  if (shape.bios && path === `${shape.bios.path}/Actions/Bios.ResetBios`)
    return { POST: () => resetBios(bmc) };
  if (path === `${shape.managerPath}/Actions/Manager.Reset`)
    return { POST: ({ body }) => resetManager(bmc, body) };

  const document = shape.render(path, context);
  if (!document) return undefined;
  const route: Route = { GET: () => ok(document) };
  if (path === shape.systemPath) route.PATCH = ({ body, ifMatch }) => patchSystem(bmc, body, ifMatch);
  if (path === shape.bios?.settingsPath)
    route.PATCH = ({ body, ifMatch }) => patchBiosSettings(bmc, body, ifMatch);
  if (path === shape.volumesPath) route.POST = ({ body }) => createVolume(bmc, body);
  const volumeId = shape.volumesPath ? memberId(path, shape.volumesPath) : undefined;
  if (volumeId !== undefined) route.DELETE = ({ ifMatch }) => deleteVolume(bmc, volumeId, ifMatch);
  return route;
}
