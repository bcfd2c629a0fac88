import type nunjucks from 'nunjucks';
import type { InstallerCallbackSignal, InstallerReport } from '@plinth/contracts';
import type { BootConfigRecord, BootConfigRepository } from '@plinth/db';
import { isMac, parseIpv4, type Problem } from '@plinth/domain';
import { hashBootToken, looksLikeBootToken } from './boot-tokens';
import { createTemplateEnvironment } from './environment';
import { renderNoInstallScript, renderRetryScript } from './render';

/**
 * Told when an installer called back, inside the transaction that spends its token: if it throws,
 * nothing is recorded, the token stays valid and the installer gets a 503 (its curl retries).
 * The API wires it to the run's workflow (a signal); the default only records.
 */
export interface InstallerCallbackHook {
  onInstallerCallback(event: InstallerCallbackSignal): Promise<void>;
}

/** Records only: the report is in `boot_configs.callback_report` for whoever reads it. */
export const RECORD_ONLY_CALLBACK_HOOK: InstallerCallbackHook = {
  onInstallerCallback: async () => undefined,
};

/** The one body every refused boot token gets, whatever the reason (unknown, expired, used, malformed). */
export const BOOT_TOKEN_REJECTED = {
  code: 'BOOT_TOKEN_REJECTED',
  message: 'The boot token is not valid.',
} as const;

/** An HTTP answer of the boot endpoints, independent of the web framework. */
export type BootResponse =
  | { status: 200; contentType: string; body: string }
  | { status: 204 }
  | { status: 400; body: { code: string; message: string; details: { problems: Problem[] } } }
  | { status: 403; body: typeof BOOT_TOKEN_REJECTED }
  | { status: 404; body: { code: string; message: string } }
  | { status: 503; body: { code: string; message: string } };

export interface BootServiceDeps {
  configs: BootConfigRepository;
  /** Base URL machines reach the provisioner at (for the retry script). */
  publicBaseUrl: string;
  hook?: InstallerCallbackHook;
  now?: () => Date;
  environment?: nunjucks.Environment;
  /**
   * How stale a served install config may be, in ms (0: every request reads the database).
   * Installers fetch the same files several times and racks boot at once, so configs are served
   * from memory: an entry is served only while its last check against the database is younger than
   * this; under traffic one query every half of it re-checks every cached token at once (so hits
   * never wait on the database), and an entry not re-checked in time is read again before it is
   * served. A callback here evicts at once; one spent or replaced through another process is
   * refused within this bound. Expiry is always checked. Default 2000.
   */
  configCacheTtlMs?: number;
  /** Entries kept at most (oldest evicted first). Default 10,000. */
  configCacheSize?: number;
  /** Told about failures the boot client cannot see (a database error behind a retry script). */
  onError?: (error: unknown, what: string) => void;
}

/**
 * The provisioner's public side, behind `/boot`: what netbooting machines and installers call.
 * Their only credential is the one-time token of their rendering; every refusal looks the same.
 */
export interface BootService {
  /**
   * `GET /boot/ipxe?mac=…`: the pending rendering's iPXE script for that MAC; for an unknown MAC,
   * no pending install or no/garbled MAC, a script that says so and exits to the next boot device;
   * when the database cannot answer, a script that waits and asks again. Never fails.
   */
  ipxeScript(macQuery: unknown): Promise<string>;
  /**
   * `GET /boot/configs/<token>/<file>`: a file of the rendering. Repeatable while the token is valid
   * (installers refetch): until it expires or the installer has called back. 403 otherwise; 404
   * for a file name this installer does not use; 503 when the database cannot answer (retry).
   */
  configFile(token: string, file: string): Promise<BootResponse>;
  /**
   * `POST /boot/callback` with `Authorization: Bearer <callback token>`: records the report and
   * tells the hook, once. 403 for a missing/wrong/expired/used token, 400 for a malformed report
   * (or one from another MAC; the token stays valid), 503 when the hook failed (retry).
   */
  callback(authorization: string | undefined, body: unknown): Promise<BootResponse>;
}

const CONTENT_TYPES: Record<string, string> = {
  'boot.ipxe': 'text/plain; charset=utf-8',
  'user-data': 'text/cloud-config; charset=utf-8',
  'meta-data': 'text/plain; charset=utf-8',
  'preseed.cfg': 'text/plain; charset=utf-8',
  'ks.cfg': 'text/plain; charset=utf-8',
};

interface CachedConfig {
  record: BootConfigRecord;
  files: Record<string, string>;
  /** When the database last confirmed the token valid (ms since the epoch, the service's clock). */
  checkedAt: number;
}

export function createBootService(deps: BootServiceDeps): BootService {
  const environment = deps.environment ?? createTemplateEnvironment();
  const now = deps.now ?? (() => new Date());
  const hook = deps.hook ?? RECORD_ONLY_CALLBACK_HOOK;
  const cacheTtlMs = deps.configCacheTtlMs ?? 2000;
  const cacheSize = deps.configCacheSize ?? 10_000;
  const base = deps.publicBaseUrl.replace(/\/$/, '');
  const cache = new Map<string, CachedConfig>();
  const rejected: BootResponse = { status: 403, body: BOOT_TOKEN_REJECTED };
  const unavailable: BootResponse = {
    status: 503,
    body: {
      code: 'BOOT_UNAVAILABLE',
      message: 'The provisioner cannot read install configs right now; retry.',
    },
  };

  const evictConfig = (configId: string): void => {
    for (const [key, entry] of cache) if (entry.record.id === configId) cache.delete(key);
  };

  let lastSweep = 0;
  let sweeping = false;
  /** Re-checks every cached token in one query (in the background, at most every half TTL). */
  const sweep = (at: Date): void => {
    if (sweeping || cache.size === 0 || at.getTime() - lastSweep < cacheTtlMs / 2) return;
    sweeping = true;
    lastSweep = at.getTime();
    const keys = [...cache.keys()];
    deps.configs
      .validConfigTokens(keys, at)
      .then((valid) => {
        for (const key of keys) {
          const entry = cache.get(key);
          if (!entry || entry.checkedAt >= at.getTime()) continue;
          if (valid.has(key)) entry.checkedAt = at.getTime();
          else cache.delete(key);
        }
      })
      .catch((error: unknown) => deps.onError?.(error, 'install config cache check'))
      .finally(() => {
        sweeping = false;
      });
  };

  const lookupConfig = async (tokenHash: string): Promise<CachedConfig | undefined> => {
    const at = now();
    const cached = cache.get(tokenHash);
    if (cached && at.getTime() - cached.checkedAt < cacheTtlMs && cached.record.expiresAt > at) {
      sweep(at);
      return cached;
    }
    if (cached) cache.delete(tokenHash);
    const found = await deps.configs.filesForConfigToken(tokenHash, at);
    if (!found) return undefined;
    const entry = { ...found, checkedAt: at.getTime() };
    if (cacheTtlMs > 0) {
      if (cache.size >= cacheSize) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      cache.set(tokenHash, entry);
    }
    return entry;
  };

  return {
    async ipxeScript(macQuery) {
      const mac = normalizeMac(macQuery);
      if (!mac) return renderNoInstallScript(environment, 'bad-mac', undefined);
      try {
        const lookup = await deps.configs.lookupMac(mac, now());
        if (lookup.kind === 'pending') {
          const script = lookup.files['boot.ipxe'];
          if (script !== undefined) return script;
        }
        return renderNoInstallScript(
          environment,
          lookup.kind === 'unknown-mac' ? 'unknown-mac' : 'no-install',
          mac,
        );
      } catch (error) {
        deps.onError?.(error, 'boot script lookup');
        return renderRetryScript(environment, `${base}/boot/ipxe?mac=${mac}`);
      }
    },

    async configFile(token, file) {
      if (!looksLikeBootToken(token)) return rejected;
      let entry: CachedConfig | undefined;
      try {
        entry = await lookupConfig(hashBootToken(token));
      } catch (error) {
        deps.onError?.(error, 'install config lookup');
        return unavailable;
      }
      if (!entry) return rejected;
      // The boot script is served by MAC only; the token unlocks the installer's own files.
      const content =
        file !== 'boot.ipxe' && Object.prototype.hasOwnProperty.call(entry.files, file)
          ? entry.files[file]
          : undefined;
      if (content === undefined) {
        return {
          status: 404,
          body: {
            code: 'BOOT_FILE_NOT_FOUND',
            message: `This ${entry.record.installer} install has no file "${file}".`,
          },
        };
      }
      return { status: 200, contentType: CONTENT_TYPES[file] ?? 'text/plain; charset=utf-8', body: content };
    },

    async callback(authorization, body) {
      const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (!token || !looksLikeBootToken(token)) return rejected;
      const tokenHash = hashBootToken(token);
      const target = await deps.configs.callbackTarget(tokenHash, now());
      if (!target) return rejected;
      const read = readReport(body);
      if (!read.ok) {
        return {
          status: 400,
          body: {
            code: 'INVALID_INSTALLER_REPORT',
            message: `The installer report has ${read.problems.length} problem(s); the callback was not recorded.`,
            details: { problems: read.problems },
          },
        };
      }
      if (read.report.mac !== target.bootMac) {
        return {
          status: 400,
          body: {
            code: 'INVALID_INSTALLER_REPORT',
            message: 'The installer report names another machine; the callback was not recorded.',
            details: {
              problems: [
                { path: 'mac', message: `is not the boot MAC of the machine this token belongs to` },
              ],
            },
          },
        };
      }
      let delivered: BootConfigRecord | undefined;
      try {
        delivered = await deps.configs.consumeCallback(tokenHash, read.report, now(), (record) =>
          hook.onInstallerCallback({
            runId: record.runId,
            machineId: record.machineId,
            configId: record.id,
            report: read.report,
          }),
        );
      } catch (error) {
        deps.onError?.(error, 'installer callback delivery');
        return {
          status: 503,
          body: { code: 'CALLBACK_NOT_DELIVERED', message: 'The callback could not be delivered; retry it.' },
        };
      }
      if (!delivered) return rejected;
      evictConfig(delivered.id);
      return { status: 204 };
    },
  };
}

/** `52:54:00:12:34:56`, `52-54-00-12-34-56` or `525400123456`, any case → lowercase with colons. */
export function normalizeMac(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const hex = value.trim().replace(/[:-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return undefined;
  const mac = hex.toLowerCase().match(/../g)?.join(':');
  return mac && isMac(mac) ? mac : undefined;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const HOST_KEY_SHA256 = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

/** Reads the installer's JSON report; every problem at once. */
export function readReport(
  body: unknown,
): { ok: true; report: InstallerReport } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ path: '', message: 'must be a JSON object' }] };
  }
  const input = body as Record<string, unknown>;
  const text = (key: string, valid: (value: string) => boolean, expected: string): string => {
    const value = input[key];
    if (typeof value !== 'string' || !valid(value)) {
      problems.push({ path: key, message: `must be ${expected}` });
      return '';
    }
    return value;
  };
  const mac = normalizeMac(text('mac', (value) => normalizeMac(value) !== undefined, 'a MAC address')) ?? '';
  const hostname = text('hostname', (value) => HOSTNAME.test(value), 'a host name');
  const sshHost = text(
    'sshHost',
    (value) => parseIpv4(value) !== undefined || HOSTNAME.test(value) || /^[0-9a-fA-F:]{2,39}$/.test(value),
    'an IP address or host name',
  );
  const sshPort = input['sshPort'];
  if (typeof sshPort !== 'number' || !Number.isInteger(sshPort) || sshPort < 1 || sshPort > 65535) {
    problems.push({ path: 'sshPort', message: 'must be an integer port from 1 to 65535' });
  }
  const hostKeySha256 = text(
    'hostKeySha256',
    (value) => HOST_KEY_SHA256.test(value),
    'SHA256:<43 base64 characters>',
  );
  const known = new Set(['mac', 'hostname', 'sshHost', 'sshPort', 'hostKeySha256']);
  for (const key of Object.keys(input))
    if (!known.has(key)) problems.push({ path: key, message: 'is not a report field' });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, report: { mac, hostname, sshHost, sshPort: sshPort as number, hostKeySha256 } };
}
