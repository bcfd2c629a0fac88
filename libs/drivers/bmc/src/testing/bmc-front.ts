/**
 * Test support: a front for a lab BMC on loopback that forwards every request unchanged, optionally
 * over TLS (as BMCs serve Redfish) and optionally answering some requests itself — to present the
 * same lab service the way other BMCs do (HTTPS with a self-signed certificate, no session service).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface BmcFront {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** A canned answer; undefined forwards the request. */
export type FrontAnswer = { status: number; body?: unknown } | undefined;

export async function startBmcFront(options: {
  /** The lab BMC, e.g. `http://127.0.0.1:41234`. */
  upstream: string;
  tls?: { key: string; cert: string };
  answer?: (method: string, path: string) => FrontAnswer;
}): Promise<BmcFront> {
  const upstream = new URL(options.upstream);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const canned = options.answer?.(req.method ?? 'GET', req.url ?? '/');
    if (canned) {
      req.resume();
      const body = canned.body === undefined ? undefined : JSON.stringify(canned.body);
      res.writeHead(canned.status, body ? { 'Content-Type': 'application/json' } : {});
      res.end(body);
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A self-signed certificate for 127.0.0.1 (openssl, Debian's), valid one day. */
export async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'plinth-bmc-tls-'));
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    return {
      key: await readFile(join(dir, 'key.pem'), 'utf8'),
      cert: await readFile(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
