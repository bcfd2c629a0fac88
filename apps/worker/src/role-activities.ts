import type { DataSource } from 'typeorm';
import {
  createDiscoverActivities,
  createKubernetesActivities,
  createNetworkActivities,
  createOpenStackActivities,
  createPowerActivities,
  createProvisionActivities,
  createRaidActivities,
  createVerifyOsActivities,
} from '@plinth/activities';
import {
  createBootConfigRepository,
  createClusterRepository,
  createHardwareInventoryRepository,
  createIpAllocationRepository,
  createMachineRepository,
  createSecretStore,
  createSshHostKeyRepository,
  type SecretKey,
} from '@plinth/db';
import { caBundlesFromSecrets, createBmcDriverRegistry, credentialsFromSecrets } from '@plinth/driver-bmc';
import { createSshDriver } from '@plinth/driver-ssh';
import { createSwitchRegistry, type SwitchDriver } from '@plinth/driver-switch';
import type { Logger } from '@plinth/logger';
import { createInstallConfigService } from '@plinth/templates';

/** What the role activities are built from; the worker's composition root passes its own. */
export interface RoleActivityDeps {
  dataSource: DataSource;
  /** Decrypts BMC credentials, SSH keys, join tokens and rendered configs. */
  secretKey: SecretKey;
  /** The API's URL as machines reach it (must equal the API's: both write it into boot configs). */
  publicBaseUrl: string;
  /** Switches the network role may configure; none by default (machines then name no switch ports). */
  switches?: SwitchDriver[];
  logger?: Logger;
}

/**
 * Every role activity (discover, raid, power, provision, verify-os, network, Kubernetes,
 * OpenStack) over real drivers: the one place they get their dependencies.
 * Returns the activities and a `close` that ends BMC sessions and SSH connections.
 */
export function createRoleActivities(deps: RoleActivityDeps) {
  const { dataSource, logger } = deps;
  const secrets = createSecretStore(dataSource, deps.secretKey);
  const reveal = (ref: string): Promise<string> => secrets.reveal(ref);
  const machines = createMachineRepository(dataSource);
  const clusters = createClusterRepository(dataSource);
  const configs = createBootConfigRepository(dataSource, deps.secretKey);
  const drivers = createBmcDriverRegistry({
    credentials: credentialsFromSecrets(reveal),
    caBundles: caBundlesFromSecrets(reveal),
  });
  const ssh = createSshDriver({ hostKeys: createSshHostKeyRepository(dataSource), secrets, logger });
  const bmc = { drivers, machines, logger };
  const activities = {
    ...createDiscoverActivities({ ...bmc, inventories: createHardwareInventoryRepository(dataSource) }),
    ...createRaidActivities(bmc),
    ...createPowerActivities(bmc),
    ...createProvisionActivities({
      installConfigs: createInstallConfigService({
        configs,
        machines,
        clusters,
        revealSecret: reveal,
        publicBaseUrl: deps.publicBaseUrl,
      }),
      configs,
      logger,
    }),
    ...createVerifyOsActivities({ ssh }),
    ...createNetworkActivities({
      ssh,
      clusters,
      ipAllocations: createIpAllocationRepository(dataSource),
      switches: createSwitchRegistry(deps.switches ?? []),
      logger,
    }),
    ...createKubernetesActivities({ ssh, clusters, secrets, logger }),
    ...createOpenStackActivities({ ssh, clusters, secrets, logger }),
  };
  return {
    activities,
    async close(): Promise<void> {
      await Promise.allSettled([drivers.close(), ssh.close()]);
    },
  };
}
