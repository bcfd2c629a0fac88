import { Column, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Named params shared by clusters (merged global → profile → cluster → machine). */
@Entity('profiles')
export class ProfileEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) name!: string;
  @Column({ type: 'jsonb', default: () => "'{}'" }) params!: Record<string, unknown>;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
