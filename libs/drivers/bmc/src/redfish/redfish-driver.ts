import { validateHardwareInventory, type PowerState, type RaidLevel } from '@plinth/domain';
import type {
  BmcCallOptions,
  BmcCapabilities,
  BmcDriver,
  BmcStorage,
  BootOverride,
  BootTarget,
  DiscoveredInventory,
  InventoryFact,
  PowerAction,
  StorageDrive,
  StorageVolume,
  VolumeRequest,
} from '../bmc-driver';
import { INVENTORY_FACTS } from '../bmc-driver';
import { bmcError, bmcUnreachable, bmcUnsupported, describeBmc, type BmcSubject } from '../bmc-errors';
import { resolvePolicy, retryAfterMs, sleep, type BmcCallPolicy } from '../call-policy';
import {
  BMC_READ_CONCURRENCY,
  discoveredDrive,
  powerStateOf,
  readRedfishInventory,
} from './redfish-inventory';
import {
  healthOf,
  isObject,
  isPresent,
  locationPath,
  mapLimit,
  numberOf,
  objectOf,
  odataIdOf,
  odataIdsOf,
  textOf,
  type RedfishDocument,
} from './redfish-json';
import {
  redfishErrorMessage,
  type RedfishRequest,
  type RedfishResponse,
  type RedfishTransport,
} from './redfish-transport';

/** Redfish `RAIDType` ↔ Plinth level. `None` is a volume without redundancy over one drive: JBOD. */
const RAID_TYPE_BY_LEVEL: Record<RaidLevel, string> = {
  raid0: 'RAID0',
  raid1: 'RAID1',
  raid5: 'RAID5',
  raid6: 'RAID6',
  raid10: 'RAID10',
  jbod: 'None',
};
const LEVEL_BY_RAID_TYPE = new Map<string, RaidLevel>(
  Object.entries(RAID_TYPE_BY_LEVEL).map(([level, type]) => [type, level as RaidLevel]),
);
/** Deprecated `VolumeType` of older BMCs; `StripedWithParity` (RAID5 or 6) stays unknown. */
const LEVEL_BY_VOLUME_TYPE: Record<string, RaidLevel> = {
  RawDevice: 'jbod',
  NonRedundant: 'raid0',
  Mirrored: 'raid1',
  SpannedMirrors: 'raid10',
};
/** Reset types to try for each action, in order of preference, among those the BMC allows. */
const RESET_TYPES: Record<PowerAction, string[]> = {
  On: ['On', 'ForceOn'],
  ForceOff: ['ForceOff'],
  GracefulShutdown: ['GracefulShutdown'],
  ForceRestart: ['ForceRestart', 'PowerCycle'],
};
const BOOT_TARGETS: readonly BootTarget[] = ['None', 'Pxe', 'Hdd'];
/** PATCH attempts when the system changes between read and write (412). */
const ETAG_ATTEMPTS = 3;

export interface RedfishDriverOptions {
  subject: BmcSubject;
  transport: RedfishTransport;
  /** The address's path when it names a system (`/redfish/v1/Systems/1`). */
  systemPath: string | undefined;
  /** Defaults for every call; per-call policies override them field by field. */
  policy: BmcCallPolicy;
}

interface StorageLocation {
  storagePath: string;
  volumesPath: string;
  drivePaths: string[];
}

type Call = { policy: BmcCallPolicy; signal?: AbortSignal; onProgress?: BmcCallOptions['onProgress'] };

/**
 * {@link BmcDriver} over Redfish (DSP0266): one ComputerSystem, found from the address path or as the
 * only member of `/redfish/v1/Systems`; RAID through the first Storage that has a Volumes collection.
 */
export class RedfishBmcDriver implements BmcDriver {
  readonly protocol = 'redfish' as const;
  readonly address: string;
  private readonly subject: BmcSubject;
  private systemPathFound: Promise<string> | undefined;
  private storageFound: Promise<StorageLocation | undefined> | undefined;

  constructor(private readonly options: RedfishDriverOptions) {
    this.subject = options.subject;
    this.address = options.subject.address;
  }

  async capabilities(options?: BmcCallOptions): Promise<BmcCapabilities> {
    const call = this.call(options);
    const system = await this.get(await this.systemPath(call), call);
    const [inventory, storage, managerMedia] = await Promise.all([
      this.readInventoryFrom(system, call),
      this.storageLocation(call),
      this.managerHasVirtualMedia(system, call),
    ]);
    const boot = objectOf(system['Boot']);
    const allowedTargets = boot['BootSourceOverrideTarget@Redfish.AllowableValues'];
    const bootTargets = Array.isArray(allowedTargets)
      ? BOOT_TARGETS.filter((target) => allowedTargets.includes(target))
      : [...BOOT_TARGETS];
    return {
      protocol: 'redfish',
      inventory: INVENTORY_FACTS.filter((fact) => !inventory.unavailable.includes(fact)),
      bootTargets,
      raid: storage
        ? { supported: true, levels: await this.advertisedLevels(storage, call) }
        : { supported: false, levels: undefined },
      bios: odataIdOf(system['Bios']) !== undefined,
      virtualMedia: odataIdOf(system['VirtualMedia']) !== undefined || managerMedia,
      sessions: this.options.transport.usesSessions,
    };
  }

  async readInventory(options?: BmcCallOptions): Promise<DiscoveredInventory> {
    const call = this.call(options);
    const system = await this.get(await this.systemPath(call), call);
    return this.readInventoryFrom(system, call);
  }

  async getPowerState(options?: BmcCallOptions): Promise<PowerState> {
    const call = this.call(options);
    const system = await this.get(await this.systemPath(call), call);
    return powerStateOf(system['PowerState']);
  }

  async setPower(action: PowerAction, options?: BmcCallOptions): Promise<void> {
    const call = this.call(options);
    const system = await this.get(await this.systemPath(call), call);
    const reset = objectOf(objectOf(system['Actions'])['#ComputerSystem.Reset']);
    const target = textOf(reset['target']);
    if (!target)
      throw bmcUnsupported(this.subject, 'offers no ComputerSystem.Reset action: it cannot control power.');
    const allowed = reset['ResetType@Redfish.AllowableValues'];
    const candidates = RESET_TYPES[action];
    const resetType = Array.isArray(allowed)
      ? candidates.find((type) => allowed.includes(type))
      : candidates[0];
    if (!resetType) {
      throw bmcUnsupported(
        this.subject,
        `does not allow ${candidates.join(' or ')} (it allows ${Array.isArray(allowed) ? allowed.join(', ') : 'nothing'}).`,
      );
    }
    const response = await this.send(
      { method: 'POST', path: target, body: { ResetType: resetType }, idempotent: false },
      call,
    );
    await this.finishAsync(response, call, `power ${resetType}`);
  }

  async getBootOverride(options?: BmcCallOptions): Promise<BootOverride> {
    const call = this.call(options);
    return bootOverrideOf(await this.get(await this.systemPath(call), call));
  }

  async setBootOverride(override: BootOverride, options?: BmcCallOptions): Promise<{ changed: boolean }> {
    const call = this.call(options);
    const path = await this.systemPath(call);
    for (let attempt = 1; ; attempt++) {
      const { document: system, etag } = await this.getWithEtag(path, call);
      const current = bootOverrideOf(system);
      if (
        current.enabled === override.enabled &&
        (override.enabled === 'Disabled' || current.target === override.target)
      ) {
        return { changed: false };
      }
      const allowed = objectOf(system['Boot'])['BootSourceOverrideTarget@Redfish.AllowableValues'];
      if (Array.isArray(allowed) && !allowed.includes(override.target)) {
        throw bmcUnsupported(
          this.subject,
          `cannot boot from ${override.target}: its boot override allows ${allowed.join(', ')}.`,
        );
      }
      const response = await this.send(
        {
          method: 'PATCH',
          path,
          body: {
            Boot: { BootSourceOverrideEnabled: override.enabled, BootSourceOverrideTarget: override.target },
          },
          headers: etag ? { 'If-Match': etag } : {},
          idempotent: true,
        },
        call,
      );
      if (response.status === 412 && attempt < ETAG_ATTEMPTS) continue;
      this.expectSuccess(response, `setting the boot override to ${override.enabled} ${override.target}`);
      return { changed: true };
    }
  }

  async storage(options?: BmcCallOptions): Promise<BmcStorage> {
    const location = await this.storageLocation(this.call(options));
    if (!location) {
      throw bmcUnsupported(
        this.subject,
        "has no Storage resource with a Volumes collection, so Plinth cannot manage RAID on it. Remove the raid section for this machine's role, or configure the controller by hand.",
      );
    }
    return {
      supportedLevels: (opts) => this.advertisedLevels(location, this.call(opts)),
      listDrives: (opts) => this.listDrives(location, this.call(opts)),
      listVolumes: (opts) => this.listVolumes(location, this.call(opts)),
      createVolume: (request, opts) => this.createVolume(location, request, this.call(opts)),
      deleteVolume: (volumeId, opts) => this.deleteVolume(location, volumeId, this.call(opts)),
    };
  }

  close(): Promise<void> {
    return this.options.transport.close();
  }

  // ---- storage

  private async listDrives(location: StorageLocation, call: Call): Promise<StorageDrive[]> {
    const documents = await mapLimit(location.drivePaths, BMC_READ_CONCURRENCY, (path) =>
      this.get(path, call),
    );
    return documents.flatMap((document): StorageDrive[] => {
      const drive = discoveredDrive(document);
      if (!drive) return [];
      const health = healthOf(document);
      const state = textOf(objectOf(document['Status'])['State']);
      const problem = !isPresent(document)
        ? 'absent'
        : health === 'Critical'
          ? 'Status.Health is Critical'
          : state === 'Disabled' || state === 'UnavailableOffline'
            ? `Status.State is ${state}`
            : undefined;
      return [{ ...drive, healthy: problem === undefined, ...(problem ? { problem } : {}) }];
    });
  }

  private async listVolumes(location: StorageLocation, call: Call): Promise<StorageVolume[]> {
    return (await this.volumeDocuments(location, call)).map(({ volume }) => volume);
  }

  private async volumeDocuments(
    location: StorageLocation,
    call: Call,
  ): Promise<{ path: string; volume: StorageVolume }[]> {
    const driveIdByPath = await this.driveIdsByPath(location, call);
    const paths = await this.members(location.volumesPath, call);
    const documents = await mapLimit(paths, BMC_READ_CONCURRENCY, (path) => this.get(path, call));
    return documents.map((document, index) => ({
      path: paths[index] ?? '',
      volume: volumeOf(document, driveIdByPath),
    }));
  }

  private async createVolume(
    location: StorageLocation,
    request: VolumeRequest,
    call: Call,
  ): Promise<StorageVolume> {
    const pathById = invert(await this.driveIdsByPath(location, call));
    const links = request.driveIds.map((id) => {
      const path = pathById.get(id);
      if (!path)
        throw bmcUnsupported(
          this.subject,
          `has no drive ${id} on its RAID controller ${location.storagePath}.`,
        );
      return { '@odata.id': path };
    });
    const what = `creating ${request.level} volume ${request.name} on ${request.driveIds.join(', ')}`;
    const response = await this.send(
      {
        method: 'POST',
        path: location.volumesPath,
        body: { Name: request.name, RAIDType: RAID_TYPE_BY_LEVEL[request.level], Links: { Drives: links } },
        idempotent: false,
      },
      call,
    );
    const final = await this.finishAsync(response, call, what);
    const created = locationPath(final.headers['location']);
    if (created) return volumeOf(await this.get(created, call), await this.driveIdsByPath(location, call));
    if (isObject(final.body) && String(final.body['@odata.type'] ?? '').startsWith('#Volume.')) {
      return volumeOf(final.body, await this.driveIdsByPath(location, call));
    }
    // No Location: find it by name, as some BMCs only answer 204.
    const found = (await this.listVolumes(location, call)).find((volume) => volume.name === request.name);
    if (!found) {
      throw bmcError(
        'BmcTaskFailed',
        this.subject,
        `${describeBmc(this.subject)} reported ${what} done, but no volume ${request.name} exists.`,
      );
    }
    return found;
  }

  private async deleteVolume(location: StorageLocation, volumeId: string, call: Call): Promise<void> {
    const entry = (await this.volumeDocuments(location, call)).find(({ volume }) => volume.id === volumeId);
    if (!entry) return;
    const { etag } = await this.getWithEtag(entry.path, call);
    const response = await this.send(
      { method: 'DELETE', path: entry.path, headers: etag ? { 'If-Match': etag } : {}, idempotent: true },
      call,
    );
    if (response.status === 404) return;
    if (response.status === 409) {
      // A deletion is already running (a retried call): wait for the volume to go.
      await this.until(call, `deleting volume ${volumeId}`, async () =>
        (await this.listVolumes(location, call)).every((volume) => volume.id !== volumeId),
      );
      return;
    }
    await this.finishAsync(response, call, `deleting volume ${volumeId}`);
  }

  private async driveIdsByPath(location: StorageLocation, call: Call): Promise<Map<string, string>> {
    const documents = await mapLimit(location.drivePaths, BMC_READ_CONCURRENCY, (path) =>
      this.get(path, call),
    );
    const map = new Map<string, string>();
    documents.forEach((document, index) => {
      const id = textOf(document['Id']);
      const path = location.drivePaths[index];
      if (id && path) map.set(path, id);
    });
    return map;
  }

  private async advertisedLevels(location: StorageLocation, call: Call): Promise<RaidLevel[] | undefined> {
    const storage = await this.get(location.storagePath, call);
    const types = new Set<string>();
    let advertised = false;
    const controllers = Array.isArray(storage['StorageControllers']) ? storage['StorageControllers'] : [];
    for (const controller of controllers) {
      const supported = objectOf(controller)['SupportedRAIDTypes'];
      if (Array.isArray(supported)) {
        advertised = true;
        for (const type of supported) if (typeof type === 'string') types.add(type);
      }
    }
    const collection = await this.get(location.volumesPath, call);
    const allowable = collection['RAIDType@Redfish.AllowableValues'];
    if (Array.isArray(allowable)) {
      advertised = true;
      for (const type of allowable) if (typeof type === 'string') types.add(type);
    }
    if (!advertised) return undefined;
    return [...types]
      .map((type) => LEVEL_BY_RAID_TYPE.get(type))
      .filter((level): level is RaidLevel => level !== undefined);
  }

  private storageLocation(call: Call): Promise<StorageLocation | undefined> {
    this.storageFound ??= (async () => {
      const system = await this.get(await this.systemPath(call), call);
      const collection = odataIdOf(system['Storage']);
      if (!collection) return undefined;
      for (const path of await this.members(collection, call)) {
        const storage = await this.get(path, call);
        const volumesPath = odataIdOf(storage['Volumes']);
        if (volumesPath) return { storagePath: path, volumesPath, drivePaths: odataIdsOf(storage['Drives']) };
      }
      return undefined;
    })();
    // A failed lookup is not remembered: the next call asks again.
    this.storageFound.catch(() => {
      this.storageFound = undefined;
    });
    return this.storageFound;
  }

  // ---- inventory and capabilities

  private async readInventoryFrom(system: RedfishDocument, call: Call): Promise<DiscoveredInventory> {
    const read = await readRedfishInventory(
      system,
      (path) => this.get(path, call),
      (path) => this.members(path, call),
    );
    const validation = validateHardwareInventory(read.inventory);
    if (!validation.ok) {
      throw bmcUnsupported(
        this.subject,
        `reported an inventory Plinth cannot use: ${validation.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}.`,
      );
    }
    return { inventory: validation.value, unavailable: sortFacts(read.unavailable) };
  }

  private async managerHasVirtualMedia(system: RedfishDocument, call: Call): Promise<boolean> {
    const manager = odataIdsOf(objectOf(system['Links'])['ManagedBy'])[0];
    if (!manager) return false;
    const response = await this.send({ method: 'GET', path: manager, idempotent: true }, call);
    return (
      response.status === 200 &&
      isObject(response.body) &&
      odataIdOf(response.body['VirtualMedia']) !== undefined
    );
  }

  private systemPath(call: Call): Promise<string> {
    if (this.options.systemPath) return Promise.resolve(this.options.systemPath);
    this.systemPathFound ??= (async () => {
      const root = await this.send(
        { method: 'GET', path: '/redfish/v1', idempotent: true, authenticated: false },
        call,
      );
      const systemsPath = isObject(root.body) ? odataIdOf(root.body['Systems']) : undefined;
      if (root.status !== 200 || !systemsPath) {
        throw bmcUnsupported(
          this.subject,
          `does not serve a Redfish service root with Systems at /redfish/v1 (HTTP ${root.status}).`,
        );
      }
      const systems = await this.members(systemsPath, call);
      if (systems.length !== 1 || !systems[0]) {
        throw bmcUnsupported(
          this.subject,
          `manages ${systems.length} systems (${systems.join(', ') || 'none'}); put the system's path in the address, e.g. ${this.address}${systems[0] ?? '/redfish/v1/Systems/1'}.`,
        );
      }
      return systems[0];
    })();
    this.systemPathFound.catch(() => {
      this.systemPathFound = undefined;
    });
    return this.systemPathFound;
  }

  // ---- HTTP helpers

  private call(options: BmcCallOptions | undefined): Call {
    return {
      policy: resolvePolicy(this.options.policy, options?.policy),
      ...(options?.signal ? { signal: options.signal } : {}),
      ...(options?.onProgress ? { onProgress: options.onProgress } : {}),
    };
  }

  private send(request: RedfishRequest, call: Call): Promise<RedfishResponse> {
    return this.options.transport.request(request, call);
  }

  private async get(path: string, call: Call): Promise<RedfishDocument> {
    return (await this.getWithEtag(path, call)).document;
  }

  private async getWithEtag(
    path: string,
    call: Call,
  ): Promise<{ document: RedfishDocument; etag: string | undefined }> {
    const response = await this.send({ method: 'GET', path, idempotent: true }, call);
    if (response.status !== 200 || !isObject(response.body)) {
      this.expectSuccess(response, `reading ${path}`);
      throw bmcUnsupported(
        this.subject,
        `answered GET ${path} with HTTP ${response.status} and no JSON document.`,
      );
    }
    const etag = response.headers['etag'];
    return { document: response.body, etag: Array.isArray(etag) ? etag[0] : etag };
  }

  /** Member paths of a collection, following `Members@odata.nextLink` (bounded). */
  private async members(path: string, call: Call): Promise<string[]> {
    const paths: string[] = [];
    let next: string | undefined = path;
    for (let page = 0; next && page < 100; page++) {
      const collection = await this.get(next, call);
      paths.push(...odataIdsOf(collection['Members']));
      next = textOf(collection['Members@odata.nextLink']);
    }
    return paths;
  }

  /**
   * Follows an asynchronous answer to its end: a 202 with a task monitor is polled until the
   * operation's own answer comes back (DSP0266 §13.2); any other answer is checked as it is.
   */
  private async finishAsync(response: RedfishResponse, call: Call, what: string): Promise<RedfishResponse> {
    if (response.status !== 202) {
      this.expectSuccess(response, what);
      return response;
    }
    const monitor = locationPath(response.headers['location']) ?? taskMonitorOf(response.body);
    if (!monitor) return response;
    const deadline = Date.now() + call.policy.taskTimeoutMs;
    for (;;) {
      const answer = await this.send({ method: 'GET', path: monitor, idempotent: true }, call);
      const task =
        isObject(answer.body) && String(answer.body['@odata.type'] ?? '').startsWith('#Task.')
          ? answer.body
          : undefined;
      const state = task ? textOf(task['TaskState']) : undefined;
      const running =
        answer.status === 202 ||
        (answer.status === 200 && task !== undefined && state !== 'Completed' && !isTaskEnd(state));
      if (!running) {
        if (task && isTaskEnd(state) && state !== 'Completed') {
          throw this.taskFailed(what, `task ended ${state}${taskMessage(task)}`);
        }
        if (answer.status >= 400) {
          const { message, messageId } = redfishErrorMessage(answer.body);
          throw this.taskFailed(what, `HTTP ${answer.status}${message ? `: ${message}` : ''}`, messageId);
        }
        return answer;
      }
      const percent = task ? numberOf(task['PercentComplete']) : undefined;
      call.onProgress?.({
        stage: 'task',
        detail: `${what}: ${state ?? 'running'}${percent !== undefined ? ` (${percent}%)` : ''}`,
      });
      const header = answer.headers['retry-after'];
      const hinted = retryAfterMs(Array.isArray(header) ? header[0] : header);
      const wait = Math.min(hinted ?? call.policy.taskPollIntervalMs, call.policy.taskPollIntervalMs);
      if (Date.now() + wait > deadline) {
        throw this.taskFailed(what, `still running after ${call.policy.taskTimeoutMs} ms`);
      }
      await sleep(wait, call.signal);
    }
  }

  /** Polls `done` with the task poll interval until it holds or the task timeout passes. */
  private async until(call: Call, what: string, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + call.policy.taskTimeoutMs;
    while (!(await done())) {
      if (Date.now() + call.policy.taskPollIntervalMs > deadline) {
        throw this.taskFailed(what, `not done after ${call.policy.taskTimeoutMs} ms`);
      }
      call.onProgress?.({ stage: 'task', detail: `${what}: waiting` });
      await sleep(call.policy.taskPollIntervalMs, call.signal);
    }
  }

  private taskFailed(what: string, why: string, messageId?: string) {
    return bmcError('BmcTaskFailed', this.subject, `${describeBmc(this.subject)} failed ${what}: ${why}.`, {
      ...(messageId ? { messageId } : {}),
    });
  }

  /** Throws the RoleError an unsuccessful answer means; returns for 2xx. */
  private expectSuccess(response: RedfishResponse, what: string): void {
    const { status } = response;
    if (status >= 200 && status < 300) return;
    const { message, messageId } = redfishErrorMessage(response.body);
    const why = `HTTP ${status}${message ? ` (${message})` : ''}`;
    const details = { status, ...(messageId ? { messageId } : {}) };
    if (status >= 500) throw bmcUnreachable(this.subject, `${what} failed with ${why}`, details);
    if (status === 409 || status === 412) {
      throw bmcError(
        'BmcTaskFailed',
        this.subject,
        `${describeBmc(this.subject)} refused ${what}: ${why}; the resource is busy or changed, retrying may help.`,
        details,
      );
    }
    throw bmcUnsupported(this.subject, `refused ${what}: ${why}.`, details);
  }
}

function bootOverrideOf(system: RedfishDocument): BootOverride {
  const boot = objectOf(system['Boot']);
  const enabled = boot['BootSourceOverrideEnabled'];
  const target = boot['BootSourceOverrideTarget'];
  const normalisedEnabled = enabled === 'Once' || enabled === 'Continuous' ? enabled : 'Disabled';
  if (normalisedEnabled === 'Disabled') return { enabled: 'Disabled', target: 'None' };
  return { enabled: normalisedEnabled, target: target === 'Pxe' || target === 'Hdd' ? target : 'None' };
}

function volumeOf(document: RedfishDocument, driveIdByPath: Map<string, string>): StorageVolume {
  const raidType = textOf(document['RAIDType']);
  const volumeType = textOf(document['VolumeType']);
  const level = raidType
    ? LEVEL_BY_RAID_TYPE.get(raidType)
    : volumeType
      ? LEVEL_BY_VOLUME_TYPE[volumeType]
      : undefined;
  const size = numberOf(document['CapacityBytes']);
  return {
    id: textOf(document['Id']) ?? '',
    name: textOf(document['Name']) ?? '',
    level,
    driveIds: odataIdsOf(objectOf(document['Links'])['Drives']).map(
      (path) => driveIdByPath.get(path) ?? path.slice(path.lastIndexOf('/') + 1),
    ),
    sizeBytes: size,
  };
}

function invert(map: Map<string, string>): Map<string, string> {
  return new Map([...map].map(([key, value]) => [value, key]));
}

function isTaskEnd(state: string | undefined): boolean {
  return state === 'Completed' || state === 'Exception' || state === 'Killed' || state === 'Cancelled';
}

function taskMonitorOf(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  return textOf(body['TaskMonitor']) ?? textOf(body['@odata.id']);
}

function taskMessage(task: RedfishDocument): string {
  const messages = Array.isArray(task['Messages']) ? task['Messages'] : [];
  const texts = messages.map((m) => textOf(objectOf(m)['Message'])).filter((t) => t !== undefined);
  return texts.length > 0 ? `: ${texts.join(' ')}` : '';
}

function sortFacts(facts: InventoryFact[]): InventoryFact[] {
  return INVENTORY_FACTS.filter((fact) => facts.includes(fact));
}
