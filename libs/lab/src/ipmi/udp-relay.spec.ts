import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { LabFaults } from '../machine/lab-machine';
import { startUdpRelay } from './udp-relay';
import type { UdpRelay } from './udp-relay';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bound(socket: Socket): Promise<number> {
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

/** Stands in for ipmi_sim: answers every datagram with "re:" + the datagram. */
async function echoServer(): Promise<number> {
  const socket = createSocket('udp4');
  socket.on('message', (packet, sender) =>
    socket.send(Buffer.concat([Buffer.from('re:'), packet]), sender.port, sender.address),
  );
  return bound(socket);
}

interface TestClient {
  send(packet: string, relay: UdpRelay): void;
  /** The next datagram received within `timeoutMs`, or undefined. */
  next(timeoutMs?: number): Promise<string | undefined>;
  ask(packet: string, relay: UdpRelay, timeoutMs?: number): Promise<string | undefined>;
}

async function client(): Promise<TestClient> {
  const socket = createSocket('udp4');
  await bound(socket);
  const next = (timeoutMs = 1_000): Promise<string | undefined> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.off('message', onMessage);
        resolve(undefined);
      }, timeoutMs);
      const onMessage = (answer: Buffer): void => {
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(answer.toString());
      };
      socket.on('message', onMessage);
    });
  const send = (packet: string, relay: UdpRelay): void => socket.send(packet, relay.port, relay.host);
  return {
    send,
    next,
    ask: (packet, relay, timeoutMs) => {
      const answer = next(timeoutMs);
      send(packet, relay);
      return answer;
    },
  };
}

async function relayTo(
  upstreamPort: number,
  faults: Pick<LabFaults, 'latencyMs' | 'hang'>,
  seen: string[],
): Promise<UdpRelay> {
  const relay = await startUdpRelay({
    host: '127.0.0.2',
    port: 0,
    upstreamHost: '127.0.0.1',
    upstreamPort,
    onRequest: (packet) => seen.push(`request ${packet.toString()}`),
    onResponse: (packet) => seen.push(`response ${packet.toString()}`),
    faults: () => faults,
  });
  cleanups.push(() => relay.close());
  return relay;
}

describe('UDP relay in front of ipmi_sim', () => {
  it('passes datagrams both ways unchanged and shows each to the snooper in order', async () => {
    const seen: string[] = [];
    const relay = await relayTo(await echoServer(), { latencyMs: { min: 0, max: 0 }, hang: false }, seen);
    expect(relay.host).toBe('127.0.0.2');
    expect(relay.port).toBeGreaterThan(0);
    const [first, second] = [await client(), await client()];
    expect(await first.ask('one', relay)).toBe('re:one');
    expect(await second.ask('two', relay)).toBe('re:two');
    expect(await first.ask('three', relay)).toBe('re:three');
    expect(seen).toEqual([
      'request one',
      'response re:one',
      'request two',
      'response re:two',
      'request three',
      'response re:three',
    ]);
  });

  it('answers nothing while the machine has the hang fault, and serves again once it is cleared', async () => {
    const seen: string[] = [];
    const faults = { latencyMs: { min: 0, max: 0 }, hang: true };
    const relay = await relayTo(await echoServer(), faults, seen);
    const console = await client();
    expect(await console.ask('ping', relay, 300)).toBeUndefined();
    expect(seen).toEqual([]);
    faults.hang = false;
    expect(await console.ask('ping', relay)).toBe('re:ping');
  });

  it('delays datagrams by the latency fault', async () => {
    const faults = { latencyMs: { min: 150, max: 200 }, hang: false };
    const relay = await relayTo(await echoServer(), faults, []);
    const console = await client();
    // Bounded: the delayed answer is missing after 50 ms and arrives well within 2 s.
    expect(await console.ask('slow', relay, 50)).toBeUndefined();
    expect(await console.next(2_000)).toBe('re:slow');
  });

  it('stops answering once closed', async () => {
    const relay = await startUdpRelay({
      host: '127.0.0.1',
      port: 0,
      upstreamHost: '127.0.0.1',
      upstreamPort: await echoServer(),
      onRequest: () => undefined,
      onResponse: () => undefined,
      faults: () => ({ latencyMs: { min: 0, max: 0 }, hang: false }),
    });
    const console = await client();
    expect(await console.ask('before', relay)).toBe('re:before');
    await relay.close();
    await relay.close();
    expect(await console.ask('after', relay, 300)).toBeUndefined();
  });
});
