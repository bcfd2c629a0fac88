import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import type { LabFaults } from '../machine/lab-machine';

/**
 * The BMC's public UDP address. ipmi_sim listens on a private loopback port behind it; the relay
 * passes datagrams through unchanged, shows each one to the snooper on the way, and applies the
 * machine's BMC faults (latency, hang) as a slow or dead network path would.
 *
 * Each client address gets its own upstream socket, so ipmi_sim's answers find their way back;
 * it is closed after `idleMs` without traffic (ipmitool uses a new port per run).
 */
export interface UdpRelayOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  upstreamHost: string;
  upstreamPort: number;
  /** Called with each client packet just before it is forwarded, in forwarding order. */
  onRequest(packet: Buffer): void;
  /** Called with each ipmi_sim packet just before it is returned to the client. */
  onResponse(packet: Buffer): void;
  /** Read on every packet, so faults changed at run time apply at once. */
  faults(): Pick<LabFaults, 'latencyMs' | 'hang'>;
  idleMs?: number;
}

export interface UdpRelay {
  host: string;
  port: number;
  close(): Promise<void>;
}

interface ClientPath {
  upstream: Socket;
  idle: NodeJS.Timeout;
}

export async function startUdpRelay(options: UdpRelayOptions): Promise<UdpRelay> {
  const idleMs = options.idleMs ?? 60_000;
  const clients = new Map<string, ClientPath>();
  const delayed = new Set<NodeJS.Timeout>();
  const front = createSocket('udp4');
  let closed = false;

  const dropClient = (key: string): void => {
    const path = clients.get(key);
    if (!path) return;
    clients.delete(key);
    clearTimeout(path.idle);
    path.upstream.close();
  };

  const pathFor = (client: RemoteInfo): ClientPath => {
    const key = `${client.address}:${client.port}`;
    const existing = clients.get(key);
    if (existing) {
      existing.idle.refresh();
      return existing;
    }
    const upstream = createSocket('udp4');
    upstream.on('message', (packet, sender) => {
      // Only ipmi_sim may answer through this path.
      if (closed || sender.port !== options.upstreamPort) return;
      clients.get(key)?.idle.refresh();
      options.onResponse(packet);
      front.send(packet, client.port, client.address);
    });
    // An upstream error (ipmi_sim gone: ECONNREFUSED) only loses this client's path, as on a network.
    upstream.on('error', () => dropClient(key));
    const path: ClientPath = { upstream, idle: setTimeout(() => dropClient(key), idleMs) };
    path.idle.unref();
    clients.set(key, path);
    return path;
  };

  const forward = (packet: Buffer, client: RemoteInfo): void => {
    if (closed || options.faults().hang) return;
    const path = pathFor(client);
    options.onRequest(packet);
    path.upstream.send(packet, options.upstreamPort, options.upstreamHost, (error) => {
      if (error) dropClient(`${client.address}:${client.port}`);
    });
  };

  front.on('message', (packet, client) => {
    const { latencyMs, hang } = options.faults();
    if (hang) return;
    const wait = latencyMs.max > 0 ? latencyMs.min + Math.random() * (latencyMs.max - latencyMs.min) : 0;
    if (wait <= 0) return forward(packet, client);
    const timer = setTimeout(() => {
      delayed.delete(timer);
      forward(packet, client);
    }, wait);
    delayed.add(timer);
  });
  // A front socket error after binding has nowhere to go but the log of whoever closes the relay; keep serving.
  front.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.bind(options.port, options.host, () => {
      front.off('error', reject);
      resolve();
    });
  });

  return {
    host: options.host,
    port: front.address().port,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const timer of delayed) clearTimeout(timer);
      delayed.clear();
      for (const key of [...clients.keys()]) dropClient(key);
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  };
}
