import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { ClusterEntity } from './cluster.entity';
import { MachineEntity } from './machine.entity';

export const RUN_KINDS = ['deploy', 'upgrade'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export const RUN_STATUSES = ['pending', 'running', 'paused', 'succeeded', 'failed', 'canceled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A deployment or upgrade of one cluster revision, executed by one Temporal workflow. */
@Entity('runs')
@Index('runs_cluster_time', ['clusterId', 'createdAt'])
@Check('runs_kind_check', `kind IN ('deploy', 'upgrade')`)
@Check('runs_status_check', `status IN ('pending', 'running', 'paused', 'succeeded', 'failed', 'canceled')`)
export class RunEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'cluster_id', type: 'uuid' }) clusterId!: string;
  @ManyToOne(() => ClusterEntity)
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'runs_cluster_id_fkey' })
  cluster?: ClusterEntity;
  @Column({ name: 'cluster_revision', type: 'integer' }) clusterRevision!: number;
  @Column({ type: 'text' }) kind!: RunKind;
  @Column({ type: 'text' }) status!: RunStatus;
  @Column({ name: 'workflow_id', type: 'text', unique: true }) workflowId!: string;
  @Column({ name: 'temporal_run_id', type: 'text', nullable: true }) temporalRunId!: string | null;
  @Column({ name: 'requested_by', type: 'text' }) requestedBy!: string;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true, unique: true }) idempotencyKey!:
    string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
}

/** Where one machine stands in one role of a run; errors are in operator words. */
@Entity('run_machine_states')
export class RunMachineStateEntity {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' }) runId!: string;
  @ManyToOne(() => RunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id', foreignKeyConstraintName: 'run_machine_states_run_id_fkey' })
  run?: RunEntity;
  @PrimaryColumn({ name: 'machine_id', type: 'uuid' }) machineId!: string;
  @ManyToOne(() => MachineEntity)
  @JoinColumn({ name: 'machine_id', foreignKeyConstraintName: 'run_machine_states_machine_id_fkey' })
  machine?: MachineEntity;
  /** discover | raid | provision-os | network | kubernetes | openstack */
  @PrimaryColumn({ type: 'text' }) role!: string;
  /** pending | running | succeeded | failed | skipped */
  @Column({ type: 'text' }) status!: string;
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  @Column({ name: 'error_code', type: 'text', nullable: true }) errorCode!: string | null;
  @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage!: string | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
