import type { LabMachine } from '../../machine/lab-machine';
import type { JsonObject } from '../json';
import { collection, ref, status, stableUuid } from '../odata';
import { SESSIONS_PATH } from '../session-store';
import type { BmcContext } from '../shape';
import { TASKS_PATH } from '../task-store';
import {
  CHASSIS,
  CHASSIS_COLLECTION,
  DRIVES,
  MANAGER,
  MANAGERS,
  ROOT,
  SESSION_SERVICE,
  SYSTEM,
  SYSTEMS,
  TASK_SERVICE,
} from './profile-paths';

/** The service root; readable without credentials, as the specification requires. */
export function serviceRoot(machine: LabMachine): JsonObject {
  return {
    '@odata.type': '#ServiceRoot.v1_11_0.ServiceRoot',
    '@odata.id': `${ROOT}/`,
    Id: 'RootService',
    Name: 'Root Service',
    RedfishVersion: '1.15.0',
    UUID: stableUuid(`service:${machine.hardware.serial}`),
    Product: 'Plinth Lab BMC',
    Vendor: 'Plinth Lab',
    // Said plainly so clients do not send queries the lab would ignore.
    ProtocolFeaturesSupported: {
      ExpandQuery: { ExpandAll: false, Levels: false, Links: false, NoLinks: false },
      SelectQuery: false,
      FilterQuery: false,
      OnlyMemberQuery: false,
      ExcerptQuery: false,
    },
    Systems: ref(SYSTEMS),
    Chassis: ref(CHASSIS_COLLECTION),
    Managers: ref(MANAGERS),
    Tasks: ref(TASK_SERVICE),
    SessionService: ref(SESSION_SERVICE),
    Links: { Sessions: ref(SESSIONS_PATH) },
  };
}

/** The OData service document at /redfish/v1/odata. */
export function odataServiceDocument(): JsonObject {
  const singleton = (name: string, url: string): JsonObject => ({ name, kind: 'Singleton', url });
  return {
    '@odata.context': `${ROOT}/$metadata`,
    value: [
      singleton('Service', `${ROOT}/`),
      singleton('Systems', SYSTEMS),
      singleton('Chassis', CHASSIS_COLLECTION),
      singleton('Managers', MANAGERS),
      singleton('Tasks', TASK_SERVICE),
      singleton('SessionService', SESSION_SERVICE),
    ],
  };
}

export function chassisCollection(): JsonObject {
  return collection('ChassisCollection', 'Chassis Collection', CHASSIS_COLLECTION, [CHASSIS]);
}

export function chassis(machine: LabMachine): JsonObject {
  const { hardware } = machine;
  return {
    '@odata.type': '#Chassis.v1_14_0.Chassis',
    '@odata.id': CHASSIS,
    Id: '1',
    Name: 'Computer System Chassis',
    ChassisType: 'RackMount',
    Manufacturer: hardware.manufacturer,
    Model: hardware.model,
    SerialNumber: hardware.serial,
    PowerState: machine.power,
    Status: status(),
    Drives: ref(DRIVES),
    Links: { ComputerSystems: [ref(SYSTEM)], ManagedBy: [ref(MANAGER)], ManagersInChassis: [ref(MANAGER)] },
  };
}

export function managerCollection(): JsonObject {
  return collection('ManagerCollection', 'Manager Collection', MANAGERS, [MANAGER]);
}

export function manager(machine: LabMachine): JsonObject {
  return {
    '@odata.type': '#Manager.v1_10_0.Manager',
    '@odata.id': MANAGER,
    Id: 'BMC',
    Name: 'Manager',
    ManagerType: 'BMC',
    Description: 'Plinth lab baseboard management controller',
    Model: 'Plinth Lab BMC',
    FirmwareVersion: '1.0.0',
    UUID: stableUuid(`manager:${machine.hardware.serial}`),
    ServiceEntryPointUUID: stableUuid(`service:${machine.hardware.serial}`),
    PowerState: 'On',
    Status: status(),
    Links: {
      ManagerForServers: [ref(SYSTEM)],
      ManagerForChassis: [ref(CHASSIS)],
      ManagerInChassis: ref(CHASSIS),
    },
    Actions: {
      '#Manager.Reset': {
        target: `${MANAGER}/Actions/Manager.Reset`,
        'ResetType@Redfish.AllowableValues': ['ForceRestart', 'GracefulRestart'],
      },
    },
  };
}

export function sessionService(context: BmcContext): JsonObject {
  return {
    '@odata.type': '#SessionService.v1_1_8.SessionService',
    '@odata.id': SESSION_SERVICE,
    Id: 'SessionService',
    Name: 'Session Service',
    Description: 'Session Service',
    Status: status(),
    ServiceEnabled: true,
    SessionTimeout: context.sessionTimeoutSeconds,
    Sessions: ref(SESSIONS_PATH),
  };
}

export function taskService(): JsonObject {
  return {
    '@odata.type': '#TaskService.v1_2_0.TaskService',
    '@odata.id': TASK_SERVICE,
    Id: 'TaskService',
    Name: 'Task Service',
    Status: status(),
    ServiceEnabled: true,
    CompletedTaskOverWritePolicy: 'Oldest',
    LifeCycleEventOnTaskStateChange: false,
    Tasks: ref(TASKS_PATH),
  };
}
