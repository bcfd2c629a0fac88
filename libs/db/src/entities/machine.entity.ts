import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A physical server in the inventory. BMC credentials are a secret reference, never the secret. */
@Entity('machines')
export class MachineEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) name!: string;
  @Column({ type: 'text', nullable: true }) serial!: string | null;
  /** URL whose scheme picks the driver: redfish://, redfish+https://, ipmi:// */
  @Column({ name: 'bmc_address', type: 'text' }) bmcAddress!: string;
  @Column({ name: 'bmc_credentials_ref', type: 'text' }) bmcCredentialsRef!: string;
  @Column({ name: 'bmc_insecure_tls', type: 'boolean', default: false }) bmcInsecureTls!: boolean;
  @Column({ name: 'bmc_ca_bundle_ref', type: 'text', nullable: true }) bmcCaBundleRef!: string | null;
  /** Lowercase aa:bb:cc:dd:ee:ff */
  @Column({ name: 'boot_mac', type: 'text', unique: true }) bootMac!: string;
  @Column({ type: 'text', nullable: true }) rack!: string | null;
  @Column({ type: 'integer', nullable: true }) position!: number | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) labels!: Record<string, string>;
  /** Expected hardware, compared with what discovery finds. */
  @Column({ name: 'expected_hardware', type: 'jsonb', nullable: true }) expectedHardware!: Record<
    string,
    unknown
  > | null;
  /** Machine-level params, the highest-precedence layer. */
  @Column({ type: 'jsonb', default: () => "'{}'" }) params!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
