import { startIpmiBmc, type IpmiBmc } from '../ipmi';
import type { LabMachine } from '../machine/lab-machine';
import { startRedfishBmc, type RedfishShapeSpec } from '../redfish';
import type { LabBmcCredentials } from './credentials';
import type { LabBmcEndpoint } from './lab-types';

/** A started BMC as the lab holds it: the endpoint it shows, and how to stop it. */
export interface RunningBmc {
  endpoint: LabBmcEndpoint;
  close(): Promise<void>;
}

export async function startRedfishEndpoint(options: {
  machine: LabMachine;
  host: string;
  port: number;
  credentials: LabBmcCredentials;
  shape: RedfishShapeSpec;
  rebootDowntimeMs?: number;
}): Promise<RunningBmc> {
  const bmc = await startRedfishBmc({
    machine: options.machine,
    credentials: options.credentials,
    host: options.host,
    port: options.port,
    shape: options.shape,
    ...(options.rebootDowntimeMs !== undefined ? { rebootDowntimeMs: options.rebootDowntimeMs } : {}),
  });
  return {
    endpoint: {
      protocol: 'redfish',
      host: bmc.host,
      port: bmc.port,
      address: `redfish+http://${bmc.host}:${bmc.port}`,
      url: bmc.url,
      reboot: () => bmc.rebootBmc(),
    },
    close: () => bmc.close(),
  };
}

/**
 * An IPMI BMC whose reboot is a real one: ipmi_sim is stopped (its RMCP+ sessions die with it) and
 * started again on the same address and port, as the BMC firmware restarting.
 */
export async function startIpmiEndpoint(options: {
  machine: LabMachine;
  host: string;
  port: number;
  credentials: LabBmcCredentials;
  workDir: string;
  onError?: (error: Error) => void;
}): Promise<RunningBmc> {
  const start = (port: number): Promise<IpmiBmc> =>
    startIpmiBmc({
      machine: options.machine,
      host: options.host,
      port,
      credentials: options.credentials,
      workDir: options.workDir,
      ...(options.onError ? { onError: options.onError } : {}),
    });
  let current: IpmiBmc | undefined = await start(options.port);
  const { host, port, address } = current;
  let closed = false;
  let rebooting: Promise<void> | undefined;
  return {
    endpoint: {
      protocol: 'ipmi',
      host,
      port,
      address,
      url: undefined,
      reboot() {
        rebooting ??= (async () => {
          const stopping = current;
          current = undefined;
          await stopping?.close();
          if (!closed) current = await start(port);
        })().finally(() => {
          rebooting = undefined;
        });
        return rebooting;
      },
    },
    async close() {
      closed = true;
      await rebooting?.catch(() => undefined);
      await current?.close();
    },
  };
}
