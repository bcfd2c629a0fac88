import { Column, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A secret (BMC password, SSH key, join token), AES-256-GCM encrypted; referenced by `name`. */
@Entity('secrets')
export class SecretEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** The reference operators write, e.g. `bmc-rack1` for `secret/bmc-rack1`. */
  @Column({ type: 'text', unique: true }) name!: string;
  @Column({ type: 'bytea' }) ciphertext!: Buffer;
  @Column({ type: 'bytea' }) nonce!: Buffer;
  @Column({ name: 'auth_tag', type: 'bytea' }) authTag!: Buffer;
  /** Fingerprint of the key that encrypted it, so a wrong key is reported as such. */
  @Column({ name: 'key_id', type: 'text' }) keyId!: string;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
