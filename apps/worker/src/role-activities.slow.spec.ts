import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSecretKey } from '@plinth/db';
import { createTestDatabase, type TestDatabase } from '@plinth/testing';
import { createRoleActivities } from './role-activities';

describe('the worker’s role activities', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());

  it('registers every role activity, built over real drivers', async () => {
    const roles = createRoleActivities({
      dataSource: db.dataSource,
      secretKey: parseSecretKey(Buffer.alloc(32, 9).toString('base64'), 'test'),
      publicBaseUrl: 'http://127.0.0.1:3000',
    });
    const names = Object.keys(roles.activities).sort();
    expect(names).toEqual(
      expect.arrayContaining([
        'discoverHardware',
        'applyRaidLayout',
        'setOneTimePxeBoot',
        'powerCycle',
        'readPowerState',
        'renderInstallConfig',
        'installerReport',
        'verifyInstalledOs',
        'allocateAddresses',
        'configureSwitchPorts',
        'applyNetwork',
        'installKubernetesPackages',
        'initControlPlane',
        'joinNode',
        'installCni',
        'waitForNodesReady',
        'prepareHelm',
        'deployRelease',
      ]),
    );
    expect(
      names.every((name) => typeof (roles.activities as Record<string, unknown>)[name] === 'function'),
    ).toBe(true);
    await roles.close();
  });
});
