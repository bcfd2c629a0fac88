import { LabMachine } from '../machine/lab-machine';
import type { LabHardware } from '../machine/lab-machine';

/** A small machine for the IPMI tests: only identity matters here, not the hardware profile. */
export function ipmiTestMachine(name = 'ipmi-node-1'): LabMachine {
  const hardware: LabHardware = {
    manufacturer: 'Plinth Lab',
    model: 'PL-C1U',
    serial: `SN-${name}`,
    cpu: { model: 'Lab CPU', sockets: 1, coresPerSocket: 4, threadsPerCore: 2 },
    memory: { dimms: 2, dimmMiB: 8192 },
    drives: [],
    nics: [{ id: 'eno1', mac: '52:54:00:aa:00:01', speedMbps: 10_000 }],
    biosVersion: '2.4.1',
    biosAttributes: {},
  };
  return new LabMachine({ name, hardware, timings: { powerMs: 5, postMs: 5 } });
}
