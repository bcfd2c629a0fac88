import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';

/** A cluster; its spec lives in revisions, and every change is a new revision. */
@Entity('clusters')
export class ClusterEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) name!: string;
  @Column({ name: 'current_revision', type: 'integer' }) currentRevision!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** One immutable version of a cluster's spec; runs reference the revision they deployed. */
@Entity('cluster_revisions')
@Unique('cluster_revisions_cluster_id_revision_key', ['clusterId', 'revision'])
export class ClusterRevisionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'cluster_id', type: 'uuid' }) clusterId!: string;
  @ManyToOne(() => ClusterEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cluster_id', foreignKeyConstraintName: 'cluster_revisions_cluster_id_fkey' })
  cluster?: ClusterEntity;
  @Column({ type: 'integer' }) revision!: number;
  @Column({ type: 'jsonb' }) spec!: Record<string, unknown>;
  @Column({ name: 'spec_hash', type: 'text' }) specHash!: string;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
