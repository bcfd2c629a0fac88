import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv4, type AddressInfo } from 'node:net';
import { delay, type LabMachine } from '../machine/lab-machine';
import type { BmcInternals, RedfishCredentials } from './bmc-internals';
import { isPublic, routeFor, type HttpMethod } from './bmc-router';
import { errorResponse, readJsonBody, send } from './http-io';
import { normalisePath } from './json';
import { mockupShape } from './mockup-shape';
import type { MockupName } from './mockup-tree';
import { profileShape } from './profile/profile-shape';
import {
  methodNotAllowed,
  RedfishError,
  resourceMissing,
  serviceUnavailable,
  toRedfishError,
  unauthorized,
} from './redfish-error';
import { SessionStore } from './session-store';
import type { BmcContext, RedfishShape } from './shape';
import { TaskStore } from './task-store';

/** Which documents a BMC serves: generated from the machine's hardware profile, or a DMTF mockup. */
export type RedfishShapeSpec = { kind: 'profile' } | { kind: 'mockup'; name: MockupName };

export interface RedfishBmcOptions {
  machine: LabMachine;
  credentials: RedfishCredentials;
  /** Loopback address to listen on (127.0.0.0/8 or ::1). Defaults to 127.0.0.1. */
  host?: string;
  /** Port; 0 (the default) lets the system choose. */
  port?: number;
  /** Defaults to the profile shape. A mockup shape needs the machine built with `hardwareFromMockup`. */
  shape?: RedfishShapeSpec;
  /** How long a BMC reboot refuses connections. Defaults to 500 ms. */
  rebootDowntimeMs?: number;
  /** Idle time after which a session expires. Defaults to 1800 s. */
  sessionTimeoutSeconds?: number;
  /** Concurrent sessions before logins answer 503 SessionLimitExceeded. Defaults to 64. */
  maxSessions?: number;
}

/** A running Redfish BMC. */
export interface RedfishBmc {
  /** Base URL, e.g. `http://127.0.0.1:41234` (the service root is `${url}/redfish/v1`). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Path of the ComputerSystem, e.g. `/redfish/v1/Systems/1`. */
  readonly systemPath: string;
  /** Live (unexpired) sessions. */
  sessionCount(): number;
  /**
   * Reboots the BMC as `Manager.Reset` does: every session is dropped and connections are refused
   * for `rebootDowntimeMs`; resolves when it answers again. The machine's power is not touched.
   */
  rebootBmc(): Promise<void>;
  /** Stops listening, drops connections (hung requests included) and cancels running tasks. */
  close(): Promise<void>;
}

const WITH_BODY = new Set(['POST', 'PATCH', 'PUT']);
/** How often a request held by the `hang` fault looks whether the fault was cleared. */
const HANG_POLL_MS = 25;

/**
 * Starts a stateful Redfish service for one lab machine over plain HTTP. Documents are rendered on
 * request from the machine's state; an idle BMC is one listening socket, two small maps and no timers.
 */
export async function startRedfishBmc(options: RedfishBmcOptions): Promise<RedfishBmc> {
  const host = options.host ?? '127.0.0.1';
  assertLoopback(host);
  const { machine } = options;
  const shape = selectShape(options.shape ?? { kind: 'profile' });
  shape.checkMachine(machine);
  const sessionTimeoutSeconds = options.sessionTimeoutSeconds ?? 1800;
  const context: BmcContext = {
    machine,
    sessions: new SessionStore(sessionTimeoutSeconds, options.maxSessions ?? 64),
    tasks: new TaskStore(),
    bootMode: 'UEFI',
    sessionTimeoutSeconds,
  };
  const internals: BmcInternals = {
    context,
    shape,
    credentials: options.credentials,
    reboot: () => void bmc.rebootBmc().catch(reportRebootFailure),
  };
  let closed = false;
  let rebooting: Promise<void> | undefined;

  const server: Server = createServer((request, response) => void handle(request, response));
  server.keepAliveTimeout = 5_000;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = (request.method ?? 'GET').toUpperCase();
    try {
      await injectDelays(request);
      if (closed || request.socket.destroyed) return;
      if (Math.random() < machine.faults.http503Rate)
        throw serviceUnavailable('the BMC is busy (injected fault)');
      const path = requestPath(request);
      const body = WITH_BODY.has(method) ? await readJsonBody(request) : undefined;
      const publicPath = isPublic(method, path);
      if (!publicPath && !authenticated(request)) throw unauthorized();
      // The 401 fault hits every request that presents credentials (a login too), never the public reads.
      const presentsCredentials = !publicPath || method === 'POST';
      if (presentsCredentials && Math.random() < machine.faults.http401Rate) throw unauthorized();
      const route = routeFor(internals, path);
      if (!route) throw resourceMissing(path);
      const handler = route[(method === 'HEAD' ? 'GET' : method) as HttpMethod];
      if (!handler) throw methodNotAllowed(method, path, Object.keys(route));
      const ifMatch = request.headers['if-match'];
      const answer = handler({ body, ifMatch });
      const etag = answer.headers?.['ETag'];
      if (answer.status === 200 && etag !== undefined && request.headers['if-none-match'] === etag) {
        send(response, { status: 304, headers: { ETag: etag } }, true);
        return;
      }
      send(response, answer, method === 'HEAD');
    } catch (error) {
      if (request.socket.destroyed) return;
      send(response, errorResponse(toRedfishError(error)), method === 'HEAD');
    }
  }

  /** The `hang` fault holds the request until cleared; latency is added to every answer. */
  async function injectDelays(request: IncomingMessage): Promise<void> {
    while (machine.faults.hang && !closed && !request.socket.destroyed) await delay(HANG_POLL_MS);
    const { min, max } = machine.faults.latencyMs;
    if (max > 0) await delay(min + Math.random() * Math.max(0, max - min));
  }

  function authenticated(request: IncomingMessage): boolean {
    const token = request.headers['x-auth-token'];
    // A token, when sent, decides: a stale token is a 401 even alongside valid Basic credentials.
    if (typeof token === 'string') return context.sessions.authenticate(token) !== undefined;
    const authorization = request.headers.authorization;
    if (!authorization?.startsWith('Basic ')) return false;
    const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return (
      colon >= 0 &&
      decoded.slice(0, colon) === options.credentials.username &&
      decoded.slice(colon + 1) === options.credentials.password
    );
  }

  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const downtimeMs = options.rebootDowntimeMs ?? 500;

  const bmc: RedfishBmc = {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    systemPath: shape.systemPath,
    sessionCount: () => context.sessions.size,
    rebootBmc() {
      rebooting ??= (async () => {
        context.sessions.clear();
        await stopListening(server);
        await delay(downtimeMs);
        if (!closed) await listenAgain(server, port, host);
      })().finally(() => {
        rebooting = undefined;
      });
      return rebooting;
    },
    async close() {
      closed = true;
      context.tasks.cancelAll();
      await stopListening(server);
    },
  };
  return bmc;
}

function selectShape(spec: RedfishShapeSpec): RedfishShape {
  return spec.kind === 'profile' ? profileShape : mockupShape(spec.name);
}

function requestPath(request: IncomingMessage): string {
  const pathname = new URL(request.url ?? '/', 'http://bmc').pathname;
  try {
    return normalisePath(decodeURIComponent(pathname));
  } catch {
    throw new RedfishError(400, 'InvalidURI', `The URI ${pathname} is not valid.`, { args: [pathname] });
  }
}

function assertLoopback(host: string): void {
  if (host === '::1' || (isIPv4(host) && host.startsWith('127.'))) return;
  throw new Error(`lab BMCs listen on loopback only (127.0.0.0/8 or ::1), not ${host}`);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Listens on the port the BMC had; another process may briefly hold it after a reboot, so retry a while. */
async function listenAgain(server: Server, port: number, host: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await listen(server, port, host);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 40) throw error;
      await delay(50);
    }
  }
}

function stopListening(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      server.closeAllConnections();
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function reportRebootFailure(error: unknown): void {
  process.emitWarning(
    `lab BMC could not listen again after a reboot: ${error instanceof Error ? error.message : String(error)}`,
  );
}
