import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { MachineEntity } from './machine.entity';

/** What discovery found on a machine at one time; the newest row per machine is current. */
@Entity('hardware_inventories')
@Index('hardware_inventories_machine_time', ['machineId', 'discoveredAt'])
export class HardwareInventoryEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'machine_id', type: 'uuid' }) machineId!: string;
  @ManyToOne(() => MachineEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'machine_id', foreignKeyConstraintName: 'hardware_inventories_machine_id_fkey' })
  machine?: MachineEntity;
  @Column({ type: 'jsonb' }) inventory!: Record<string, unknown>;
  /** sha256 of the canonical inventory JSON: workflows carry this id and hash, not the inventory. */
  @Column({ name: 'content_hash', type: 'text' }) contentHash!: string;
  @CreateDateColumn({ name: 'discovered_at', type: 'timestamptz' }) discoveredAt!: Date;
}
