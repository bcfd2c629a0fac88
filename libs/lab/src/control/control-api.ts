import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIPv4, type AddressInfo } from 'node:net';
import type { Lab, LabMachineEntry } from '../lab/lab-types';
import { noFaults, RESET_TYPES, type ResetType } from '../machine/lab-machine';
import { badRequest, ControlError, notFound } from './control-error';
import { applyFaultsPatch } from './faults-patch';
import { driveView, machineDetail, machineSummary } from './machine-view';

/** What the control API serves: the lab's machines and its inventory. */
export type ControlledLab = Pick<Lab, 'machines' | 'machine' | 'inventory' | 'inventoryYaml'>;

export interface ControlApiOptions {
  lab: ControlledLab;
  /** Loopback address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
}

/** The running control API. */
export interface ControlApi {
  /** e.g. `http://127.0.0.1:40123` */
  readonly url: string;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
  contentType?: string;
}

type Handler = (request: IncomingMessage, params: string[]) => Promise<Answer> | Answer;
interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
}

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The lab's control API: plain JSON over HTTP on loopback, for tests and demos to look at machines
 * (power, phase, counters) and inject faults. It is not a BMC: nothing here is what a driver sees.
 * Errors answer `{ code, message }` with 400 (bad input, naming the field), 404 (unknown machine,
 * drive or path) or 405.
 */
export async function startControlApi(options: ControlApiOptions): Promise<ControlApi> {
  const host = options.host ?? '127.0.0.1';
  if (!(isIPv4(host) && host.startsWith('127.')) && host !== '::1') {
    throw new Error(`the lab control API listens on loopback only (127.0.0.0/8 or ::1), not ${host}`);
  }
  const routes = controlRoutes(options.lab);
  const server = createServer((request, response) => void handle(routes, request, response));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

function controlRoutes(lab: ControlledLab): Route[] {
  const machineOf = (name: string | undefined): LabMachineEntry => {
    const entry = name === undefined ? undefined : lab.machine(name);
    if (!entry)
      throw notFound('MACHINE_NOT_FOUND', `no lab machine is called "${name}"; GET /machines lists them`);
    return entry;
  };
  const ok = (body: unknown): Answer => ({ status: 200, body });
  return [
    { pattern: /^\/healthz$/, methods: { GET: () => ok({ status: 'ok', machines: lab.machines.length }) } },
    { pattern: /^\/machines$/, methods: { GET: () => ok(lab.machines.map(machineSummary)) } },
    { pattern: /^\/machines\/([^/]+)$/, methods: { GET: (_, [name]) => ok(machineDetail(machineOf(name))) } },
    {
      pattern: /^\/machines\/([^/]+)\/faults$/,
      methods: {
        GET: (_, [name]) => ok(machineOf(name).machine.faults),
        PATCH: async (request, [name]) => {
          const { machine } = machineOf(name);
          machine.faults = applyFaultsPatch(machine.faults, await readJson(request));
          return ok(machine.faults);
        },
        DELETE: (_, [name]) => {
          const { machine } = machineOf(name);
          machine.faults = noFaults();
          return ok(machine.faults);
        },
      },
    },
    {
      pattern: /^\/machines\/([^/]+)\/drives\/([^/]+)\/(fail|replace)$/,
      methods: {
        POST: (_, [name, driveId, action]) => {
          const { machine } = machineOf(name);
          const drive = machine.hardware.drives.find((candidate) => candidate.id === driveId);
          if (!drive) {
            throw notFound(
              'DRIVE_NOT_FOUND',
              `${machine.name} has no drive "${driveId}"; its drives are ${machine.hardware.drives.map((d) => d.id).join(', ') || 'none'}`,
            );
          }
          drive.failed = action === 'fail';
          return ok(driveView(drive));
        },
      },
    },
    {
      pattern: /^\/machines\/([^/]+)\/bmc\/reboot$/,
      methods: {
        POST: async (_, [name]) => {
          const entry = machineOf(name);
          await entry.bmc.reboot();
          return ok({ name: entry.name, bmc: entry.bmc.address, rebooted: true });
        },
      },
    },
    {
      pattern: /^\/machines\/([^/]+)\/power\/([^/]+)$/,
      methods: {
        POST: async (_, [name, action]) => {
          const entry = machineOf(name);
          if (!(RESET_TYPES as readonly string[]).includes(action ?? '')) {
            throw badRequest(`power action "${action}" is not one of ${RESET_TYPES.join(', ')}`);
          }
          await entry.machine.reset(action as ResetType);
          return ok(machineSummary(entry));
        },
      },
    },
    {
      pattern: /^\/counters$/,
      methods: {
        GET: () => ok(Object.fromEntries(lab.machines.map((entry) => [entry.name, entry.machine.counters]))),
      },
    },
    {
      pattern: /^\/inventory$/,
      methods: {
        GET: (request) =>
          /\b(application|text)\/(x-)?yaml\b/.test(request.headers.accept ?? '')
            ? { status: 200, body: lab.inventoryYaml(), contentType: 'application/yaml' }
            : ok(lab.inventory()),
      },
    },
  ];
}

async function handle(routes: Route[], request: IncomingMessage, response: ServerResponse): Promise<void> {
  let answer: Answer;
  try {
    answer = await route(routes, request);
  } catch (error) {
    answer =
      error instanceof ControlError
        ? { status: error.status, body: { code: error.code, message: error.message } }
        : {
            status: 500,
            body: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) },
          };
  }
  if (response.destroyed) return;
  const text = typeof answer.body === 'string' ? answer.body : `${JSON.stringify(answer.body, null, 2)}\n`;
  response.writeHead(answer.status, {
    'content-type': answer.contentType ?? 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...(answer.status === 405 ? { allow: allowOf(routes, request) } : {}),
  });
  response.end(request.method === 'HEAD' ? undefined : text);
}

async function route(routes: Route[], request: IncomingMessage): Promise<Answer> {
  const path = new URL(request.url ?? '/', 'http://lab').pathname.replace(/\/+$/, '') || '/';
  const method = (request.method ?? 'GET').toUpperCase();
  for (const candidate of routes) {
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    const handler = candidate.methods[method === 'HEAD' ? 'GET' : method];
    if (!handler) {
      return {
        status: 405,
        body: {
          code: 'METHOD_NOT_ALLOWED',
          message: `${method} ${path} is not supported; use ${Object.keys(candidate.methods).join(', ')}`,
        },
      };
    }
    const params = match.slice(1).map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw badRequest(`path segment "${segment}" is not valid URL encoding`);
      }
    });
    return await handler(request, params);
  }
  throw notFound('NOT_FOUND', `${method} ${path}: no such control API resource (see docs/lab.md)`);
}

function allowOf(routes: Route[], request: IncomingMessage): string {
  const path = new URL(request.url ?? '/', 'http://lab').pathname.replace(/\/+$/, '');
  const found = routes.find((candidate) => candidate.pattern.test(path));
  return found ? Object.keys(found.methods).join(', ') : '';
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new ControlError(413, 'BODY_TOO_LARGE', `the body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw badRequest('the body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`the body is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
