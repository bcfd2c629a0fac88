import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  Unique,
} from 'typeorm';
import { MachineEntity } from './machine.entity';
import { RunEntity } from './run.entity';

/**
 * One rendered install config: the files a machine's installer fetches (iPXE script, autoinstall
 * user-data/meta-data, preseed or kickstart), for one machine in one run. The files hold resolved
 * secrets and the boot tokens, so they are stored encrypted (AES-256-GCM, the secrets key, the row
 * id as additional data); the tokens themselves are stored only as SHA-256 hashes.
 */
@Entity('boot_configs')
@Unique('boot_configs_run_id_machine_id_key', ['runId', 'machineId'])
@Index('boot_configs_machine_time', ['machineId', 'createdAt'])
@Check('boot_configs_installer_check', `installer IN ('autoinstall', 'preseed', 'kickstart')`)
export class BootConfigEntity {
  /** Chosen by the renderer (the files embed it, e.g. the NoCloud instance id). */
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  /** One rendering per machine per run: a re-render replaces it (and its tokens). */
  @Column({ name: 'run_id', type: 'uuid' }) runId!: string;
  @ManyToOne(() => RunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id', foreignKeyConstraintName: 'boot_configs_run_id_fkey' })
  run?: RunEntity;
  @Column({ name: 'machine_id', type: 'uuid' }) machineId!: string;
  @ManyToOne(() => MachineEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'machine_id', foreignKeyConstraintName: 'boot_configs_machine_id_fkey' })
  machine?: MachineEntity;
  /** autoinstall | preseed | kickstart */
  @Column({ type: 'text' }) installer!: string;
  @Column({ name: 'os_family', type: 'text' }) osFamily!: string;
  @Column({ name: 'os_version', type: 'text' }) osVersion!: string;
  /** sha256 of the files rendered with placeholder tokens: equal inputs give an equal hash (re-render detection). */
  @Column({ name: 'input_hash', type: 'text' }) inputHash!: string;
  /** sha256 of the files as served: what activities return instead of the content. */
  @Column({ name: 'content_hash', type: 'text' }) contentHash!: string;
  @Column({ type: 'bytea' }) ciphertext!: Buffer;
  @Column({ type: 'bytea' }) nonce!: Buffer;
  @Column({ name: 'auth_tag', type: 'bytea' }) authTag!: Buffer;
  /** Fingerprint of the key that encrypted the files. */
  @Column({ name: 'key_id', type: 'text' }) keyId!: string;
  /** SHA-256 of the install-config token (in the config URLs). */
  @Column({ name: 'config_token_hash', type: 'text', unique: true }) configTokenHash!: string;
  /** SHA-256 of the one-time installer callback token. */
  @Column({ name: 'callback_token_hash', type: 'text', unique: true }) callbackTokenHash!: string;
  /** Both tokens stop working at this time. */
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  /** When the installer called back; the callback token is spent from then on. */
  @Column({ name: 'callback_used_at', type: 'timestamptz', nullable: true }) callbackUsedAt!: Date | null;
  /** What the installer reported: `{ mac, hostname, sshHost, sshPort, hostKeySha256 }`. */
  @Column({ name: 'callback_report', type: 'jsonb', nullable: true }) callbackReport!: Record<
    string,
    unknown
  > | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
