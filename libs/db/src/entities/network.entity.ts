import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { ClusterEntity } from './cluster.entity';
import { MachineEntity } from './machine.entity';

/**
 * A static address handed out from a cluster's address pool. The unique constraints are what make
 * allocation safe under concurrency: one address per pool, one address per machine interface.
 */
@Entity('ip_allocations')
@Unique('ip_allocations_cluster_id_pool_address_key', ['clusterId', 'pool', 'address'])
@Unique('ip_allocations_cluster_id_pool_machine_id_interface_key', [
  'clusterId',
  'pool',
  'machineId',
  'interfaceName',
])
export class IpAllocationEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'cluster_id', type: 'uuid' }) clusterId!: string;
  @ManyToOne(() => ClusterEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'ip_allocations_cluster_id_fkey' })
  cluster?: ClusterEntity;
  /** Pool name from the spec's `network.pools`. */
  @Column({ type: 'text' }) pool!: string;
  /** Dotted-quad IPv4, without prefix. */
  @Column({ type: 'text' }) address!: string;
  @Column({ name: 'machine_id', type: 'uuid' }) machineId!: string;
  @ManyToOne(() => MachineEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'machine_id', foreignKeyConstraintName: 'ip_allocations_machine_id_fkey' })
  machine?: MachineEntity;
  /** The interface the address is for (`bond0`, `mgmt`, …). */
  @Column({ name: 'interface', type: 'text' }) interfaceName!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** A machine's SSH host key, pinned on first use; replaced only through an announced reinstall. */
@Entity('ssh_host_keys')
export class SshHostKeyEntity {
  @PrimaryColumn({ name: 'machine_id', type: 'uuid' }) machineId!: string;
  @ManyToOne(() => MachineEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'machine_id', foreignKeyConstraintName: 'ssh_host_keys_machine_id_fkey' })
  machine?: MachineEntity;
  /** `SHA256:<base64>` of the pinned key. */
  @Column({ type: 'text' }) sha256!: string;
  /** The key an installer callback announced for the next connection, if any. */
  @Column({ name: 'expected_sha256', type: 'text', nullable: true }) expectedSha256!: string | null;
  @CreateDateColumn({ name: 'pinned_at', type: 'timestamptz' }) pinnedAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
