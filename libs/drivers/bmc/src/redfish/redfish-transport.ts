import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import {
  bmcAuthFailed,
  bmcError,
  bmcUnreachable,
  bmcUnsupported,
  describeBmc,
  type BmcSubject,
} from '../bmc-errors';
import type { BmcCallOptions } from '../bmc-driver';
import { abortReason, backoffMs, retryAfterMs, sleep, type BmcCallPolicy } from '../call-policy';
import type { BmcCredentials } from '../credentials';
import { isObject, locationPath } from './redfish-json';

/** DSP0266 fixes the sessions collection at this URI. */
export const SESSIONS_PATH = '/redfish/v1/SessionService/Sessions';

/** A Redfish answer: status, headers and the parsed JSON body (undefined when empty). */
export interface RedfishResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** One HTTP exchange as the transport saw it; for metrics, logs and tests (never carries secrets). */
export interface RedfishExchange {
  method: string;
  path: string;
  /** Attempt of the call this exchange belongs to, from 1 (a re-login does not count). */
  attempt: number;
  /** `login` for the session login, `request` otherwise. */
  kind: 'login' | 'request' | 'logout';
  status?: number;
  /** Transport failure (`ECONNREFUSED`, `timeout after 500 ms`, …). */
  failure?: string;
}

/** How to reach one Redfish service. */
export interface RedfishTransportOptions {
  subject: BmcSubject;
  /** `http:` only for `redfish+http://` addresses. */
  protocol: 'http:' | 'https:';
  host: string;
  port: number;
  /**
   * TLS verification: system CAs by default, a CA bundle (PEM, resolved by reference before the
   * first connection) to trust instead, or `insecure` to accept any certificate.
   */
  tls: { caBundle?: () => Promise<string>; insecure: boolean };
  /** The credentials reference, for messages. */
  credentialsRef: string;
  /** Resolves the account at login time. */
  credentials: () => Promise<BmcCredentials>;
  /** Sees every exchange (metrics, debug logs, tests). Must not throw. */
  onExchange?: (exchange: RedfishExchange) => void;
}

/** What a request needs from the caller. */
export interface RedfishRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Whether resending after a timeout or a dropped connection is safe. Non-idempotent requests
   * (POST actions, volume creates) are retried only when the BMC provably did not act: a 503/429
   * answer or a refused connection.
   */
  idempotent: boolean;
  /** False for the public documents (service root): sent without credentials. */
  authenticated?: boolean;
}

type CallOptions = Pick<BmcCallOptions, 'signal' | 'onProgress'> & { policy: BmcCallPolicy };

/** A failure worth retrying (no answer, 503…), with what is known about it. */
class TransientFailure extends Error {
  constructor(
    message: string,
    /** The request provably did not reach the BMC's logic (refused connection, 503/429 answer). */
    readonly notActedOn: boolean,
    readonly retryAfterMs?: number,
    readonly status?: number,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const TLS_VERIFICATION = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * HTTP to one Redfish service: keep-alive sockets, a session (`X-Auth-Token`) established on first
 * use and re-established once per call when the BMC answers 401 (it rebooted, the session expired),
 * Basic authentication when the service has no sessions, bounded retries with exponential backoff
 * and jitter that honour `Retry-After`, and a per-request timeout so a hung BMC fails in bounded time.
 */
export class RedfishTransport {
  private agent: Promise<HttpAgent> | undefined;
  private session: { token: string; location: string | undefined } | undefined;
  private basicAuthorization: string | undefined;
  private mode: 'unknown' | 'session' | 'basic' = 'unknown';
  private loggingIn: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: RedfishTransportOptions) {}

  /** Keep-alive sockets for this BMC, created at the first exchange (the CA bundle is resolved then). */
  private agentFor(): Promise<HttpAgent> {
    const { protocol, tls } = this.options;
    this.agent ??= (async () => {
      // BMCs serve few connections at once; keep-alive saves a TLS handshake per request.
      const agentOptions = { keepAlive: true, maxSockets: 4, keepAliveMsecs: 1_000 };
      if (protocol === 'http:') return new HttpAgent(agentOptions);
      const ca = tls.caBundle ? await tls.caBundle() : undefined;
      return new HttpsAgent({
        ...agentOptions,
        ...(ca !== undefined ? { ca } : {}),
        rejectUnauthorized: !tls.insecure,
      });
    })();
    this.agent.catch(() => {
      this.agent = undefined;
    });
    return this.agent;
  }

  /** Whether the service uses sessions (known after the first authenticated request). */
  get usesSessions(): boolean {
    return this.mode === 'session';
  }

  /**
   * Sends a request with retries as `policy` allows. Resolves with the final answer, whatever its
   * status, except: 401 after a re-login → `BmcAuthFailed`; 503/429 (and 5xx for idempotent
   * requests) or no answer after the last attempt → `BmcUnreachable`; untrusted certificate →
   * `BmcCertificateUntrusted`. Rejects with the abort reason when `signal` aborts.
   */
  async request(request: RedfishRequest, call: CallOptions): Promise<RedfishResponse> {
    const { policy, signal } = call;
    const deadline = Date.now() + policy.totalTimeoutMs;
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortReason(signal);
      const outcome = await this.attempt(request, call, deadline, attempt);
      if (outcome === 'unauthorized') {
        if (reauthenticated) {
          throw bmcAuthFailed(
            this.options.subject,
            this.options.credentialsRef,
            'HTTP 401 after a fresh login',
          );
        }
        // The BMC forgot the session (reboot, expiry) or the password changed: log in once more.
        reauthenticated = true;
        attempt--;
        continue;
      }
      if (!(outcome instanceof TransientFailure)) return outcome;
      if (!request.idempotent && !outcome.notActedOn) {
        throw bmcUnreachable(
          this.options.subject,
          `${request.method} ${request.path} failed (${outcome.message}) and may or may not have been carried out; it was not resent`,
          { path: request.path },
        );
      }
      const wait = Math.max(backoffMs(policy, attempt), outcome.retryAfterMs ?? 0);
      if (attempt >= policy.maxAttempts || Date.now() + wait >= deadline) {
        throw bmcUnreachable(
          this.options.subject,
          `${request.method} ${request.path} failed ${attempt} time(s) within ${policy.totalTimeoutMs} ms, last: ${outcome.message}`,
          { path: request.path, attempts: attempt, ...(outcome.status ? { status: outcome.status } : {}) },
        );
      }
      call.onProgress?.({
        stage: 'retry',
        detail: `${request.method} ${request.path}: ${outcome.message}; retry ${attempt + 1} in ${wait} ms`,
      });
      await sleep(wait, signal);
    }
  }

  /** One attempt: authenticate (logging in when needed), send, classify the answer. */
  private async attempt(
    request: RedfishRequest,
    call: CallOptions,
    deadline: number,
    attempt: number,
  ): Promise<RedfishResponse | TransientFailure | 'unauthorized'> {
    const authenticated = request.authenticated ?? true;
    let credentials: Record<string, string> = {};
    if (authenticated) {
      try {
        credentials = await this.authorization(call, attempt);
      } catch (error) {
        if (!(error instanceof TransientFailure)) throw error;
        // The request itself was never sent: safe to retry whatever it is.
        return new TransientFailure(`login: ${error.message}`, true, error.retryAfterMs, error.status);
      }
    }
    let response: RedfishResponse;
    try {
      response = await this.exchange(
        request,
        { ...request.headers, ...credentials },
        call,
        deadline,
        attempt,
        'request',
      );
    } catch (error) {
      if (error instanceof TransientFailure) return error;
      throw error;
    }
    if (response.status === 401 && authenticated) {
      this.forgetAuthorization(credentials);
      return 'unauthorized';
    }
    return this.transientStatus(request, response) ?? response;
  }

  /** Logs the session out (best effort, one short attempt) and closes idle sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (session?.location) {
      try {
        await this.exchange(
          { method: 'DELETE', path: session.location, idempotent: true },
          { 'X-Auth-Token': session.token },
          { policy: { requestTimeoutMs: 2_000 } },
          Date.now() + 2_000,
          1,
          'logout',
        );
      } catch {
        // The BMC will expire the session itself.
      }
    }
    const agent = await this.agent?.catch(() => undefined);
    agent?.destroy();
  }

  private transientStatus(request: RedfishRequest, response: RedfishResponse): TransientFailure | undefined {
    const { status } = response;
    if (status === 503 || status === 429) {
      const header = response.headers['retry-after'];
      return new TransientFailure(
        `HTTP ${status}${redfishMessageSuffix(response.body)}`,
        true,
        retryAfterMs(Array.isArray(header) ? header[0] : header),
        status,
      );
    }
    if (request.idempotent && (status === 500 || status === 502 || status === 504)) {
      return new TransientFailure(
        `HTTP ${status}${redfishMessageSuffix(response.body)}`,
        false,
        undefined,
        status,
      );
    }
    return undefined;
  }

  /** Headers that authenticate a request, logging in first when needed. */
  private async authorization(call: CallOptions, attempt: number): Promise<Record<string, string>> {
    if (
      this.mode === 'unknown' ||
      (this.mode === 'session' && !this.session) ||
      (this.mode === 'basic' && !this.basicAuthorization)
    ) {
      this.loggingIn ??= this.logIn(call, attempt).finally(() => {
        this.loggingIn = undefined;
      });
      await this.loggingIn;
    }
    if (this.mode === 'session' && this.session) return { 'X-Auth-Token': this.session.token };
    if (this.mode === 'basic' && this.basicAuthorization) return { Authorization: this.basicAuthorization };
    // Another caller's 401 dropped the session between the login and now: log in again next attempt.
    throw new TransientFailure('the session was dropped while logging in', true);
  }

  private forgetAuthorization(used: Record<string, string>): void {
    if (this.session && used['X-Auth-Token'] === this.session.token) this.session = undefined;
    if (used['Authorization'] !== undefined && used['Authorization'] === this.basicAuthorization) {
      this.basicAuthorization = undefined;
    }
  }

  /**
   * `POST SessionService/Sessions`: a session when the service has them; Basic authentication when
   * it answers 404/405/501 (no session service); `BmcAuthFailed` on 401/403.
   */
  private async logIn(call: CallOptions, attempt: number): Promise<void> {
    const { username, password } = await this.options.credentials();
    if (this.mode === 'basic') {
      this.basicAuthorization = basic(username, password);
      return;
    }
    const response = await this.exchange(
      {
        method: 'POST',
        path: SESSIONS_PATH,
        body: { UserName: username, Password: password },
        idempotent: false,
      },
      {},
      call,
      Date.now() + call.policy.requestTimeoutMs,
      attempt,
      'login',
    );
    const { status } = response;
    if (status === 401 || status === 403) {
      throw bmcAuthFailed(this.options.subject, this.options.credentialsRef, `login answered HTTP ${status}`);
    }
    if (status === 404 || status === 405 || status === 501) {
      this.mode = 'basic';
      this.basicAuthorization = basic(username, password);
      return;
    }
    const token = header(response.headers, 'x-auth-token');
    if ((status === 200 || status === 201) && token) {
      this.mode = 'session';
      this.session = { token, location: locationPath(response.headers['location']) };
      return;
    }
    const transient = this.transientStatus(
      { method: 'POST', path: SESSIONS_PATH, idempotent: false },
      response,
    );
    if (transient) throw transient;
    throw bmcUnsupported(
      this.options.subject,
      `answered a session login with HTTP ${status}${redfishMessageSuffix(response.body)} and no X-Auth-Token.`,
      { status },
    );
  }

  /** One HTTP exchange, bounded by the request timeout and the call's deadline. */
  private async exchange(
    request: RedfishRequest,
    headers: Record<string, string>,
    call: Pick<CallOptions, 'signal'> & { policy: Pick<BmcCallPolicy, 'requestTimeoutMs'> },
    deadline: number,
    attempt: number,
    kind: RedfishExchange['kind'],
  ): Promise<RedfishResponse> {
    const { options } = this;
    const timeoutMs = Math.max(1, Math.min(call.policy.requestTimeoutMs, deadline - Date.now()));
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
    const agent = await this.agentFor();
    const report = (outcome: Pick<RedfishExchange, 'status' | 'failure'>): void => {
      try {
        options.onExchange?.({ method: request.method, path: request.path, attempt, kind, ...outcome });
      } catch {
        // Observers must not break calls.
      }
    };
    return new Promise<RedfishResponse>((resolve, reject) => {
      const send = options.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send({
        host: options.host,
        port: options.port,
        path: request.path,
        method: request.method,
        agent,
        // SNI carries host names only (RFC 6066); certificates of IP-addressed BMCs are checked against their IP SAN.
        ...(options.protocol === 'https:' && isIP(options.host) === 0 ? { servername: options.host } : {}),
        headers: {
          Accept: 'application/json',
          'OData-Version': '4.0',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
          ...headers,
        },
      });
      let settled = false;
      const finish = (error: Error | undefined, response?: RedfishResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        call.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else if (response) resolve(response);
      };
      const timer = setTimeout(() => {
        report({ failure: `timeout after ${timeoutMs} ms` });
        finish(new TransientFailure(`no answer within ${timeoutMs} ms`, false));
        req.destroy();
      }, timeoutMs);
      const onAbort = (): void => {
        finish(abortReason(call.signal as AbortSignal));
        req.destroy();
      };
      call.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        const code = error.code ?? '';
        report({ failure: code || error.message });
        if (TLS_VERIFICATION.has(code)) {
          finish(
            bmcError(
              'BmcCertificateUntrusted',
              options.subject,
              `${describeBmc(options.subject)} presented a TLS certificate that could not be verified (${code}: ${error.message}). Give the machine a CA bundle (bmc.caBundleRef), or set bmc.insecureTls: true if this BMC's self-signed certificate is acceptable.`,
              { tlsError: code },
            ),
          );
          return;
        }
        finish(
          new TransientFailure(code ? `${code} (${error.message})` : error.message, NOT_DELIVERED.has(code)),
        );
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            res.destroy();
            finish(
              bmcUnsupported(
                options.subject,
                `answered ${request.path} with more than ${MAX_BODY_BYTES} bytes.`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => finish(new TransientFailure(`answer cut off: ${error.message}`, false)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          report({ status });
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          if (text.trim() !== '') {
            try {
              body = JSON.parse(text) as unknown;
            } catch {
              if (status >= 200 && status < 300) {
                finish(
                  bmcUnsupported(options.subject, `answered ${request.path} with a body that is not JSON.`),
                );
                return;
              }
              body = undefined;
            }
          }
          finish(undefined, { status, headers: res.headers, body });
        });
      });
      req.end(payload);
    });
  }
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The first Redfish message of an error body (`error.@Message.ExtendedInfo[0].Message` or `error.message`). */
export function redfishErrorMessage(body: unknown): { messageId?: string; message?: string } {
  const error = isObject(body) ? body['error'] : undefined;
  if (!isObject(error)) return {};
  const extended = error['@Message.ExtendedInfo'];
  const first = Array.isArray(extended) && isObject(extended[0]) ? extended[0] : undefined;
  const message = first && typeof first['Message'] === 'string' ? first['Message'] : error['message'];
  const messageId = first && typeof first['MessageId'] === 'string' ? first['MessageId'] : error['code'];
  return {
    ...(typeof messageId === 'string' ? { messageId } : {}),
    ...(typeof message === 'string' ? { message } : {}),
  };
}

function redfishMessageSuffix(body: unknown): string {
  const { message } = redfishErrorMessage(body);
  return message ? ` (${message})` : '';
}
