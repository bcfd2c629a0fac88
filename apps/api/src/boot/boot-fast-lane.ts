import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '@plinth/logger';
import { MASK, type BootResponse, type BootService } from '@plinth/templates';

/**
 * The two requests a rack of netbooting machines makes at once — `GET /boot/ipxe?mac=…` and
 * `GET /boot/configs/<token>/<file>` — answered straight from Node's HTTP server, ahead of Express.
 * Measured here, Express 5 alone costs ≈ 250 µs of CPU per request before a handler runs, Node's
 * own server ≈ 40 µs and a whole request here ≈ 100 µs: the difference is what lets one API
 * process serve thousands of configs per second (bench/provisioner). The answers are the BootService's, exactly as the Nest controller gives them (which
 * still serves every other method and documents the routes); requests are logged the same way
 * as the API's request log, with the token masked.
 */
export function installBootFastLane(server: Server, boot: BootService, log: Logger): void {
  const fallbacks = server.listeners('request') as ((
    request: IncomingMessage,
    response: ServerResponse,
  ) => void)[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!handle(request, response, boot, log))
      for (const listener of fallbacks) listener.call(server, request, response);
  });
}

const CONFIG_PATH = /^\/boot\/configs\/([^/?#]+)\/([^/?#]+)$/;

function handle(request: IncomingMessage, response: ServerResponse, boot: BootService, log: Logger): boolean {
  if (request.method !== 'GET') return false;
  const url = request.url ?? '';
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const started = performance.now();
  if (path === '/boot/ipxe') {
    const macs = new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1)).getAll('mac');
    void boot
      .ipxeScript(macs.length > 1 ? macs : macs[0])
      .then((script) =>
        send(response, { status: 200, contentType: 'text/plain; charset=utf-8', body: script }),
      )
      .catch((error: unknown) => fail(response, log, error))
      .finally(() => logRequest(log, 'GET', path, response.statusCode, started));
    return true;
  }
  const match = CONFIG_PATH.exec(path);
  if (!match) return false;
  const [, rawToken = '', rawFile = ''] = match;
  let token: string;
  let file: string;
  try {
    token = decodeURIComponent(rawToken);
    file = decodeURIComponent(rawFile);
  } catch {
    return false;
  }
  void boot
    .configFile(token, file)
    .then((answer) => send(response, answer))
    .catch((error: unknown) => fail(response, log, error))
    .finally(() => logRequest(log, 'GET', `/boot/configs/${MASK}/${rawFile}`, response.statusCode, started));
  return true;
}

function send(response: ServerResponse, answer: BootResponse): void {
  if (answer.status === 204) {
    response.writeHead(204).end();
    return;
  }
  const body = answer.status === 200 ? answer.body : JSON.stringify(answer.body);
  const type = answer.status === 200 ? answer.contentType : 'application/json; charset=utf-8';
  response
    .writeHead(answer.status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
    .end(body);
}

function fail(response: ServerResponse, log: Logger, error: unknown): void {
  log.error({ err: error }, 'boot request failed');
  if (!response.headersSent) {
    send(response, {
      status: 503,
      body: { code: 'BOOT_UNAVAILABLE', message: 'The provisioner cannot answer right now; retry.' },
    });
  }
}

function logRequest(log: Logger, method: string, path: string, status: number, started: number): void {
  log.info({ method, path, status, durationMs: Math.round(performance.now() - started) }, 'request');
}
