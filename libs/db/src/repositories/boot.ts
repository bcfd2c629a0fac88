import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { InstallerReport } from '@plinth/contracts';
import type { ClusterSpec, HardwareInventory, Params } from '@plinth/domain';
import { BootConfigEntity } from '../entities/boot.entity';
import { ClusterRevisionEntity } from '../entities/cluster.entity';
import { HardwareInventoryEntity } from '../entities/hardware-inventory.entity';
import { MachineEntity } from '../entities/machine.entity';
import { ProfileEntity } from '../entities/profile.entity';
import { RunEntity } from '../entities/run.entity';
import type { SecretKey } from '../secrets/secret-key';
import { createMachineRepository, type StoredMachine } from './machines';

/** A stored rendering, without its files. */
export interface BootConfigRecord {
  id: string;
  runId: string;
  machineId: string;
  installer: 'autoinstall' | 'preseed' | 'kickstart';
  osFamily: string;
  osVersion: string;
  inputHash: string;
  contentHash: string;
  expiresAt: Date;
  createdAt: Date;
  callbackUsedAt: Date | null;
  callbackReport: InstallerReport | null;
}

/** A rendering to store (the files in clear; the repository encrypts them). */
export interface NewBootConfig {
  id: string;
  runId: string;
  machineId: string;
  installer: BootConfigRecord['installer'];
  osFamily: string;
  osVersion: string;
  inputHash: string;
  contentHash: string;
  files: Record<string, string>;
  configTokenHash: string;
  callbackTokenHash: string;
  expiresAt: Date;
}

/** Everything a run's rendering of one machine starts from. */
export interface RenderInputs {
  machine: StoredMachine;
  clusterId: string;
  clusterRevision: number;
  spec: ClusterSpec;
  /** Params of the spec's profile; undefined without a profile (or when it no longer exists). */
  profileParams: Params | undefined;
  /** The newest discovered inventory, if discovery ran. */
  hardware: HardwareInventory | undefined;
}

/** The outcome of looking up the boot script for a MAC. */
export type MacBootLookup =
  | { kind: 'unknown-mac' }
  | { kind: 'no-install'; machineId: string }
  | { kind: 'pending'; record: BootConfigRecord; files: Record<string, string> };

/**
 * Rendered install configs and their one-time tokens. Tokens are never stored, only their SHA-256
 * hashes; the files are encrypted at rest. Every validity check takes `now` from the caller, so a
 * test (or a clock-skewed replica) decides what "now" is.
 */
export interface BootConfigRepository {
  /** The machine, the run's cluster revision, its profile params and the newest hardware; undefined when run or machine is unknown. */
  renderInputs(runId: string, machineId: string): Promise<RenderInputs | undefined>;
  /** The newest discovered inventory of a machine. */
  latestHardware(machineId: string): Promise<HardwareInventory | undefined>;
  /** The rendering of (run, machine), if any. */
  current(runId: string, machineId: string): Promise<BootConfigRecord | undefined>;
  find(id: string): Promise<BootConfigRecord | undefined>;
  /**
   * Stores the rendering of (run, machine), replacing any earlier one of the same pair together
   * with its tokens (they stop working at once). Atomic; concurrent replaces end with one winner.
   */
  replace(config: NewBootConfig): Promise<BootConfigRecord>;
  /** The files behind a config token, when it is valid at `now` (not expired; its callback not yet made). */
  filesForConfigToken(
    tokenHash: string,
    now: Date,
  ): Promise<{ record: BootConfigRecord; files: Record<string, string> } | undefined>;
  /** Which of these config token hashes are still valid at `now` (one query, for cache revalidation). */
  validConfigTokens(tokenHashes: string[], now: Date): Promise<Set<string>>;
  /** What a netbooting MAC gets: its machine's newest valid, not yet called-back rendering, if any. */
  lookupMac(mac: string, now: Date): Promise<MacBootLookup>;
  /** The rendering a callback token belongs to, when the token is valid at `now` (unused, unexpired). */
  callbackTarget(tokenHash: string, now: Date): Promise<(BootConfigRecord & { bootMac: string }) | undefined>;
  /**
   * Spends a callback token: records `report` and `now` as used, then runs `deliver` in the same
   * transaction — if `deliver` throws, nothing is recorded and the token stays valid (the
   * installer's retry can succeed). Returns undefined when the token is not valid at `now`
   * (unknown, expired, already used); of concurrent calls with one token exactly one succeeds.
   */
  consumeCallback(
    tokenHash: string,
    report: InstallerReport,
    now: Date,
    deliver: (record: BootConfigRecord) => Promise<void>,
  ): Promise<BootConfigRecord | undefined>;
}

export function createBootConfigRepository(
  dataSource: DataSource,
  secretKey: SecretKey,
): BootConfigRepository {
  const configs = dataSource.getRepository(BootConfigEntity);
  const machines = createMachineRepository(dataSource);

  const encrypt = (id: string, files: Record<string, string>) => {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', secretKey.key, nonce);
    cipher.setAAD(Buffer.from(id));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(files), 'utf8'), cipher.final()]);
    return { ciphertext, nonce, authTag: cipher.getAuthTag(), keyId: secretKey.keyId };
  };
  const decrypt = (row: Pick<BootConfigEntity, 'id' | 'ciphertext' | 'nonce' | 'authTag' | 'keyId'>) => {
    if (row.keyId !== secretKey.keyId) {
      throw new Error(
        `boot config ${row.id} was encrypted with key ${row.keyId}, but this process has key ${secretKey.keyId}: render it again`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', secretKey.key, row.nonce);
    decipher.setAAD(Buffer.from(row.id));
    decipher.setAuthTag(row.authTag);
    const text = Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString('utf8');
    return JSON.parse(text) as Record<string, string>;
  };

  return {
    async renderInputs(runId, machineId) {
      if (!isUuid(runId) || !isUuid(machineId)) return undefined;
      const run = await dataSource.getRepository(RunEntity).findOneBy({ id: runId });
      const machineRow = await dataSource
        .getRepository(MachineEntity)
        .findOne({ select: { name: true }, where: { id: machineId } });
      if (!run || !machineRow) return undefined;
      const machine = await machines.findByName(machineRow.name);
      const revision = await dataSource
        .getRepository(ClusterRevisionEntity)
        .findOneBy({ clusterId: run.clusterId, revision: run.clusterRevision });
      if (!machine || !revision) return undefined;
      const spec = revision.spec as unknown as ClusterSpec;
      const profile = spec.profile
        ? await dataSource.getRepository(ProfileEntity).findOneBy({ name: spec.profile })
        : null;
      return {
        machine,
        clusterId: run.clusterId,
        clusterRevision: run.clusterRevision,
        spec,
        profileParams: profile?.params,
        hardware: await this.latestHardware(machineId),
      };
    },
    async latestHardware(machineId) {
      if (!isUuid(machineId)) return undefined;
      const row = await dataSource
        .getRepository(HardwareInventoryEntity)
        .findOne({ where: { machineId }, order: { discoveredAt: 'DESC' } });
      return row ? (row.inventory as unknown as HardwareInventory) : undefined;
    },
    async current(runId, machineId) {
      if (!isUuid(runId) || !isUuid(machineId)) return undefined;
      const row = await configs.findOneBy({ runId, machineId });
      return row ? toRecord(row) : undefined;
    },
    async find(id) {
      if (!isUuid(id)) return undefined;
      const row = await configs.findOneBy({ id });
      return row ? toRecord(row) : undefined;
    },
    async replace(config) {
      const sealed = encrypt(config.id, config.files);
      // One statement: the (run, machine) row is replaced whole, id and tokens included.
      await dataSource.query(
        `INSERT INTO boot_configs (id, run_id, machine_id, installer, os_family, os_version, input_hash, content_hash,
           ciphertext, nonce, auth_tag, key_id, config_token_hash, callback_token_hash, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now())
         ON CONFLICT (run_id, machine_id) DO UPDATE SET
           id = EXCLUDED.id, installer = EXCLUDED.installer, os_family = EXCLUDED.os_family,
           os_version = EXCLUDED.os_version, input_hash = EXCLUDED.input_hash, content_hash = EXCLUDED.content_hash,
           ciphertext = EXCLUDED.ciphertext, nonce = EXCLUDED.nonce, auth_tag = EXCLUDED.auth_tag,
           key_id = EXCLUDED.key_id, config_token_hash = EXCLUDED.config_token_hash,
           callback_token_hash = EXCLUDED.callback_token_hash, expires_at = EXCLUDED.expires_at,
           callback_used_at = NULL, callback_report = NULL, created_at = now()`,
        [
          config.id,
          config.runId,
          config.machineId,
          config.installer,
          config.osFamily,
          config.osVersion,
          config.inputHash,
          config.contentHash,
          sealed.ciphertext,
          sealed.nonce,
          sealed.authTag,
          sealed.keyId,
          config.configTokenHash,
          config.callbackTokenHash,
          config.expiresAt,
        ],
      );
      return toRecord(await configs.findOneByOrFail({ id: config.id }));
    },
    async filesForConfigToken(tokenHash, now) {
      // Plain SQL: this is the provisioner's hot read (every installer fetch that misses the cache).
      const rows = (await dataSource.query(
        `${SELECT_CONFIG} WHERE config_token_hash = $1 AND expires_at > $2 AND callback_used_at IS NULL`,
        [tokenHash, now],
      )) as RawConfigRow[];
      const row = rows[0];
      return row ? { record: fromRaw(row), files: decrypt(rawSealed(row)) } : undefined;
    },
    async validConfigTokens(tokenHashes, now) {
      if (tokenHashes.length === 0) return new Set();
      const rows = (await dataSource.query(
        `SELECT config_token_hash FROM boot_configs
          WHERE config_token_hash = ANY($1::text[]) AND expires_at > $2 AND callback_used_at IS NULL`,
        [tokenHashes, now],
      )) as { config_token_hash: string }[];
      return new Set(rows.map((row) => row.config_token_hash));
    },
    async lookupMac(mac, now) {
      const machine = await dataSource
        .getRepository(MachineEntity)
        .findOne({ select: { id: true }, where: { bootMac: mac.toLowerCase() } });
      if (!machine) return { kind: 'unknown-mac' };
      const rows = (await dataSource.query(
        `${SELECT_CONFIG} WHERE machine_id = $1 AND expires_at > $2 AND callback_used_at IS NULL ORDER BY created_at DESC LIMIT 1`,
        [machine.id, now],
      )) as RawConfigRow[];
      const row = rows[0];
      return row
        ? { kind: 'pending', record: fromRaw(row), files: decrypt(rawSealed(row)) }
        : { kind: 'no-install', machineId: machine.id };
    },
    async callbackTarget(tokenHash, now) {
      const row = await configs
        .createQueryBuilder('b')
        .innerJoinAndSelect('b.machine', 'm')
        .where('b.callback_token_hash = :tokenHash AND b.expires_at > :now AND b.callback_used_at IS NULL', {
          tokenHash,
          now,
        })
        .getOne();
      return row && row.machine ? { ...toRecord(row), bootMac: row.machine.bootMac } : undefined;
    },
    async consumeCallback(tokenHash, report, now, deliver) {
      return dataSource.transaction(async (manager) => {
        // The row lock serialises concurrent callbacks with one token: the second sees it used.
        const updated = (await manager.query(
          `UPDATE boot_configs SET callback_used_at = $2, callback_report = $3
            WHERE callback_token_hash = $1 AND expires_at > $2 AND callback_used_at IS NULL
            RETURNING id`,
          [tokenHash, now, JSON.stringify(report)],
        )) as unknown;
        // TypeORM answers an UPDATE … RETURNING with [rows, count].
        const rows =
          Array.isArray(updated) && Array.isArray(updated[0]) ? (updated[0] as { id: string }[]) : [];
        const id = rows[0]?.id;
        if (!id) return undefined;
        const record = toRecord(await manager.getRepository(BootConfigEntity).findOneByOrFail({ id }));
        await deliver(record);
        return record;
      });
    },
  };
}

const SELECT_CONFIG = `SELECT id, run_id, machine_id, installer, os_family, os_version, input_hash, content_hash,
  ciphertext, nonce, auth_tag, key_id, expires_at, created_at, callback_used_at, callback_report FROM boot_configs`;

/** A boot_configs row as `pg` returns it. */
interface RawConfigRow {
  id: string;
  run_id: string;
  machine_id: string;
  installer: string;
  os_family: string;
  os_version: string;
  input_hash: string;
  content_hash: string;
  ciphertext: Buffer;
  nonce: Buffer;
  auth_tag: Buffer;
  key_id: string;
  expires_at: Date;
  created_at: Date;
  callback_used_at: Date | null;
  callback_report: InstallerReport | null;
}

function rawSealed(
  row: RawConfigRow,
): Pick<BootConfigEntity, 'id' | 'ciphertext' | 'nonce' | 'authTag' | 'keyId'> {
  return {
    id: row.id,
    ciphertext: row.ciphertext,
    nonce: row.nonce,
    authTag: row.auth_tag,
    keyId: row.key_id,
  };
}

function fromRaw(row: RawConfigRow): BootConfigRecord {
  return {
    id: row.id,
    runId: row.run_id,
    machineId: row.machine_id,
    installer: row.installer as BootConfigRecord['installer'],
    osFamily: row.os_family,
    osVersion: row.os_version,
    inputHash: row.input_hash,
    contentHash: row.content_hash,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    callbackUsedAt: row.callback_used_at,
    callbackReport: row.callback_report ?? null,
  };
}

function toRecord(row: BootConfigEntity): BootConfigRecord {
  return {
    id: row.id,
    runId: row.runId,
    machineId: row.machineId,
    installer: row.installer as BootConfigRecord['installer'],
    osFamily: row.osFamily,
    osVersion: row.osVersion,
    inputHash: row.inputHash,
    contentHash: row.contentHash,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    callbackUsedAt: row.callbackUsedAt,
    callbackReport: (row.callbackReport as InstallerReport | null) ?? null,
  };
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
