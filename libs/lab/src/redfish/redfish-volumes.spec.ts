import { describe, expect, it } from 'vitest';
import type { JsonObject } from './json';
import { eventually, messageIdOf, startTestBmc, type TestBmc } from './test-support';

const STORAGE = '/redfish/v1/Systems/1/Storage/RAID.Integrated.1';
const VOLUMES = `${STORAGE}/Volumes`;
const drive = (bay: number) => ({ '@odata.id': `/redfish/v1/Chassis/1/Drives/Disk.Bay.${bay}` });

function createVolume(test: TestBmc, body: JsonObject): Promise<Response> {
  return test.request('POST', VOLUMES, { body });
}

/** Polls a task monitor until it stops answering 202; returns the final response. */
function finalAnswer(test: TestBmc, monitor: string): Promise<Response> {
  return eventually(async () => {
    const response = await test.request('GET', monitor);
    if (response.status === 202) {
      await response.body?.cancel();
      return undefined;
    }
    return response;
  });
}

describe('Volumes through task monitors', () => {
  it('creates a volume: 202 + TaskMonitor, 202 while running, then 201 with the Volume', async () => {
    const test = await startTestBmc({ timings: { volumeTaskMs: 400 } });
    const accepted = await createVolume(test, {
      RAIDType: 'RAID1',
      Name: 'os',
      Links: { Drives: [drive(0), drive(1)] },
    });
    expect(accepted.status).toBe(202);
    const monitor = accepted.headers.get('location') ?? '';
    expect(monitor).toMatch(/^\/redfish\/v1\/TaskService\/TaskMonitors\/\d+$/);
    const task = (await accepted.json()) as JsonObject;
    expect(task).toMatchObject({ TaskState: 'Running', TaskMonitor: monitor });

    const running = await test.request('GET', monitor);
    expect(running.status).toBe(202);
    expect(((await running.json()) as JsonObject)['TaskState']).toBe('Running');
    expect(test.machine.volumes).toHaveLength(0);

    const done = await finalAnswer(test, monitor);
    expect(done.status).toBe(201);
    const location = done.headers.get('location') ?? '';
    expect(location).toBe(`${VOLUMES}/1`);
    const volume = (await done.json()) as JsonObject;
    expect(volume).toMatchObject({
      '@odata.id': location,
      Id: '1',
      Name: 'os',
      RAIDType: 'RAID1',
      CapacityBytes: 480_103_981_056,
      Links: { Drives: [drive(0), drive(1)] },
      Status: { State: 'Enabled', Health: 'OK' },
    });
    const collection = await test.getJson(VOLUMES);
    expect(collection).toMatchObject({ 'Members@odata.count': 1, Members: [{ '@odata.id': location }] });
    const taskDoc = await test.getJson(String(task['@odata.id']));
    expect(taskDoc).toMatchObject({ TaskState: 'Completed', TaskStatus: 'OK', PercentComplete: 100 });
    expect(test.machine.counters.volumesCreated).toBe(1);
    // The drive now links back to its volume.
    expect((await test.getJson(drive(0)['@odata.id']))['Links']).toMatchObject({
      Volumes: [{ '@odata.id': location }],
    });
  });

  it('refuses what it can know up front with 400, starting no task', async () => {
    const test = await startTestBmc();
    const cases: [JsonObject, RegExp][] = [
      [{ RAIDType: 'RAID7', Links: { Drives: [drive(2)] } }, /PropertyValueNotInList$/],
      [{ Links: { Drives: [drive(2)] } }, /PropertyMissing$/],
      [{ RAIDType: 'RAID0' }, /PropertyMissing$/],
      [{ RAIDType: 'RAID0', Links: { Drives: [] } }, /PropertyValueTypeError$/],
      [
        {
          RAIDType: 'RAID0',
          Links: { Drives: [{ '@odata.id': '/redfish/v1/Chassis/1/Drives/Disk.Bay.99' }] },
        },
        /ResourceNotFound$/,
      ],
      [{ RAIDType: 'RAID1', Links: { Drives: [drive(2), drive(2)] } }, /PropertyValueConflict$/],
      [{ RAIDType: 'RAID0', Links: { Drives: [drive(2)] }, Colour: 'blue' }, /PropertyUnknown$/],
    ];
    for (const [body, code] of cases) {
      const response = await createVolume(test, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(messageIdOf(await response.json())).toMatch(code);
    }
    expect((await test.getJson('/redfish/v1/TaskService/Tasks'))['Members@odata.count']).toBe(0);
  });

  it('accepts the deprecated VolumeType', async () => {
    const test = await startTestBmc();
    const accepted = await createVolume(test, {
      VolumeType: 'StripedWithParity',
      Links: { Drives: [drive(2), drive(3), drive(4)] },
    });
    expect((await finalAnswer(test, accepted.headers.get('location') ?? '')).status).toBe(201);
    expect(test.machine.volumes[0]).toMatchObject({
      raidType: 'RAID5',
      capacityBytes: 2 * 16_000_900_661_248,
    });
  });

  it('ends the task in Exception when the machine refuses: drives already in a volume', async () => {
    const test = await startTestBmc();
    const first = await createVolume(test, { RAIDType: 'RAID1', Links: { Drives: [drive(2), drive(3)] } });
    // Accepted while the first is still running: the conflict shows only when the second task runs.
    const second = await createVolume(test, { RAIDType: 'RAID0', Links: { Drives: [drive(3)] } });
    expect(second.status).toBe(202);
    expect((await finalAnswer(test, first.headers.get('location') ?? '')).status).toBe(201);
    const failed = await finalAnswer(test, second.headers.get('location') ?? '');
    expect(failed.status).toBe(409);
    expect(messageIdOf(await failed.json())).toMatch(/ResourceInUse$/);
    const task = (await second.json()) as JsonObject;
    const taskDoc = await test.getJson(String(task['@odata.id']));
    expect(taskDoc).toMatchObject({ TaskState: 'Exception', TaskStatus: 'Critical' });
    expect(JSON.stringify(taskDoc['Messages'])).toContain('Disk.Bay.3 already belongs to a volume');
    expect(test.machine.counters.volumesCreated).toBe(1);
  });

  it('ends the task in Exception for too few drives', async () => {
    const test = await startTestBmc();
    const accepted = await createVolume(test, { RAIDType: 'RAID6', Links: { Drives: [drive(2), drive(3)] } });
    const failed = await finalAnswer(test, accepted.headers.get('location') ?? '');
    expect(failed.status).toBe(400);
    expect(((await failed.json()) as { error: { message: string } }).error.message).toContain(
      'RAID6 needs at least 4 drives',
    );
  });

  it('deletes a volume: 202 + TaskMonitor, then 204; a second delete meanwhile is 409', async () => {
    const test = await startTestBmc({ timings: { volumeTaskMs: 200 } });
    const volume = test.machine.createVolume({ raidType: 'RAID1', driveIds: ['Disk.Bay.0', 'Disk.Bay.1'] });
    const path = `${VOLUMES}/${volume.id}`;
    const accepted = await test.request('DELETE', path);
    expect(accepted.status).toBe(202);
    const again = await test.request('DELETE', path);
    expect(again.status).toBe(409);
    const done = await finalAnswer(test, accepted.headers.get('location') ?? '');
    expect(done.status).toBe(204);
    expect((await test.request('GET', path)).status).toBe(404);
    expect((await test.getJson(VOLUMES))['Members@odata.count']).toBe(0);
    expect(test.machine.counters.volumesDeleted).toBe(1);
    expect((await test.request('DELETE', path)).status).toBe(404);
  });

  it('honours If-Match on DELETE', async () => {
    const test = await startTestBmc();
    const volume = test.machine.createVolume({ raidType: 'RAID0', driveIds: ['Disk.Bay.4'] });
    const stale = await test.request('DELETE', `${VOLUMES}/${volume.id}`, {
      headers: { 'If-Match': 'W/"stale"' },
    });
    expect(stale.status).toBe(412);
    expect(test.machine.volumes).toHaveLength(1);
  });
});

describe('drive failure', () => {
  it('shows Health Critical on the drive, degrades its volume and refuses it in a new volume', async () => {
    const test = await startTestBmc();
    test.machine.createVolume({ raidType: 'RAID1', driveIds: ['Disk.Bay.2', 'Disk.Bay.3'] });
    const failing = test.machine.hardware.drives.find((candidate) => candidate.id === 'Disk.Bay.3');
    if (!failing) throw new Error('storage-2u has no Disk.Bay.3');
    failing.failed = true;

    expect((await test.getJson(drive(3)['@odata.id']))['Status']).toEqual({
      State: 'Enabled',
      Health: 'Critical',
    });
    expect((await test.getJson(drive(4)['@odata.id']))['Status']).toEqual({ State: 'Enabled', Health: 'OK' });
    expect((await test.getJson(`${VOLUMES}/1`))['Status']).toMatchObject({ Health: 'Warning' });
    expect((await test.getJson(STORAGE))['Status']).toMatchObject({ HealthRollup: 'Critical' });
    expect((await test.getJson(test.bmc.systemPath))['Status']).toMatchObject({ HealthRollup: 'Critical' });

    const spare = test.machine.hardware.drives.find((candidate) => candidate.id === 'Disk.Bay.5');
    if (spare) spare.failed = true;
    const accepted = await createVolume(test, { RAIDType: 'RAID0', Links: { Drives: [drive(5)] } });
    const failed = await finalAnswer(test, accepted.headers.get('location') ?? '');
    expect(failed.status).toBe(409);
    expect(((await failed.json()) as { error: { message: string } }).error.message).toContain(
      'Disk.Bay.5 has failed',
    );
  });
});
