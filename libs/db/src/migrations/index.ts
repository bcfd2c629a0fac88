import { CreateInstance1763900000000 } from './1763900000000-create-instance';
import { InventoryClustersRuns1763910000000 } from './1763910000000-inventory-clusters-runs';
import { BootProvisioner1763920000000 } from './1763920000000-boot-provisioner';
import { NetworkSsh1763930000000 } from './1763930000000-network-ssh';

/** Every migration, oldest first. Add new ones at the end; never edit one that has shipped. */
export const MIGRATIONS = [
  CreateInstance1763900000000,
  InventoryClustersRuns1763910000000,
  BootProvisioner1763920000000,
  NetworkSsh1763930000000,
];
