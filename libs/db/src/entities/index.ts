import { ApiTokenEntity } from './api-token.entity';
import { AuditEntryEntity } from './audit-entry.entity';
import { ClusterEntity, ClusterRevisionEntity } from './cluster.entity';
import { BootConfigEntity } from './boot.entity';
import { HardwareInventoryEntity } from './hardware-inventory.entity';
import { MachineEntity } from './machine.entity';
import { IpAllocationEntity, SshHostKeyEntity } from './network.entity';
import { ProfileEntity } from './profile.entity';
import { RunEntity, RunMachineStateEntity } from './run.entity';
import { SecretEntity } from './secret.entity';

export * from './api-token.entity';
export * from './audit-entry.entity';
export * from './boot.entity';
export * from './cluster.entity';
export * from './hardware-inventory.entity';
export * from './machine.entity';
export * from './network.entity';
export * from './profile.entity';
export * from './run.entity';
export * from './secret.entity';

/** Every entity Plinth persists. */
export const ENTITIES = [
  MachineEntity,
  HardwareInventoryEntity,
  ClusterEntity,
  ClusterRevisionEntity,
  ProfileEntity,
  RunEntity,
  RunMachineStateEntity,
  SecretEntity,
  ApiTokenEntity,
  AuditEntryEntity,
  IpAllocationEntity,
  SshHostKeyEntity,
  BootConfigEntity,
];
