import { randomBytes } from 'node:crypto';
import type { JsonObject } from './json';
import { collection } from './odata';

export const SESSIONS_PATH = '/redfish/v1/SessionService/Sessions';

export interface RedfishSession {
  id: string;
  token: string;
  userName: string;
  createdAt: Date;
  lastUsedMs: number;
}

/**
 * The sessions of one BMC. Expiry is checked lazily when a token is used (no timers per BMC), and
 * the number of sessions is capped as real BMCs cap it, so a client that leaks sessions is caught.
 */
export class SessionStore {
  private readonly byToken = new Map<string, RedfishSession>();

  constructor(
    readonly timeoutSeconds: number,
    readonly maxSessions: number,
  ) {}

  /** A new session, or undefined when the limit is reached (after dropping expired ones). */
  create(userName: string): RedfishSession | undefined {
    this.dropExpired();
    if (this.byToken.size >= this.maxSessions) return undefined;
    const session: RedfishSession = {
      id: randomBytes(8).toString('hex').toUpperCase(),
      token: randomBytes(24).toString('base64url'),
      userName,
      createdAt: new Date(),
      lastUsedMs: Date.now(),
    };
    this.byToken.set(session.token, session);
    return session;
  }

  /** The live session for `token`, refreshing its idle timer; undefined if unknown or expired. */
  authenticate(token: string): RedfishSession | undefined {
    const session = this.byToken.get(token);
    if (!session) return undefined;
    if (this.expired(session)) {
      this.byToken.delete(token);
      return undefined;
    }
    session.lastUsedMs = Date.now();
    return session;
  }

  find(id: string): RedfishSession | undefined {
    this.dropExpired();
    return [...this.byToken.values()].find((session) => session.id === id);
  }

  delete(id: string): boolean {
    const session = this.find(id);
    if (session) this.byToken.delete(session.token);
    return session !== undefined;
  }

  /** Logs everybody out (a BMC reboot). */
  clear(): void {
    this.byToken.clear();
  }

  get size(): number {
    this.dropExpired();
    return this.byToken.size;
  }

  collectionDocument(): JsonObject {
    this.dropExpired();
    const members = [...this.byToken.values()].map((session) => `${SESSIONS_PATH}/${session.id}`);
    return collection('SessionCollection', 'Session Collection', SESSIONS_PATH, members);
  }

  sessionDocument(session: RedfishSession): JsonObject {
    return {
      '@odata.type': '#Session.v1_8_0.Session',
      '@odata.id': `${SESSIONS_PATH}/${session.id}`,
      Id: session.id,
      Name: 'User Session',
      Description: 'Manager User Session',
      UserName: session.userName,
      CreatedTime: session.createdAt.toISOString(),
    };
  }

  private expired(session: RedfishSession): boolean {
    return Date.now() - session.lastUsedMs > this.timeoutSeconds * 1000;
  }

  private dropExpired(): void {
    for (const [token, session] of this.byToken) if (this.expired(session)) this.byToken.delete(token);
  }
}
