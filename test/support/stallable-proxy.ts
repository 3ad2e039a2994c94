/**
 * A TCP proxy in front of a real server (Redis, PostgreSQL) that can be stalled: while stalled,
 * nothing flows in either direction on open connections and new connections are accepted but not
 * answered, as when the server hangs (a long GC, a full disk, a failover in progress); on resume
 * everything held flows on. `cut()` instead drops every connection, as a restart would.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface StallableProxy {
  readonly port: number;
  readonly stalled: boolean;
  stall(): void;
  resume(): void;
  /** Drops every open connection (new ones are served unless stalled). */
  cut(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket;
  /** Bytes that arrived while stalled, each way, delivered on resume. */
  up: Buffer[];
  down: Buffer[];
}

export async function startStallableProxy(host: string, port: number): Promise<StallableProxy> {
  const pairs = new Set<Pair>();
  let stalled = false;
  const server: Server = createServer((client) => {
    const pair: Pair = { client, server: connect(port, host), up: [], down: [] };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      pair.client.destroy();
      pair.server.destroy();
    };
    client.on('error', drop).on('close', drop);
    pair.server.on('error', drop).on('close', drop);
    client.on('data', (data: Buffer) => (stalled ? pair.up.push(data) : pair.server.write(data)));
    pair.server.on('data', (data: Buffer) => (stalled ? pair.down.push(data) : client.write(data)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const destroyAll = () => {
    for (const pair of pairs) {
      pair.client.destroy();
      pair.server.destroy();
    }
    pairs.clear();
  };
  return {
    port: (server.address() as AddressInfo).port,
    get stalled() {
      return stalled;
    },
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const pair of pairs) {
        for (const data of pair.up.splice(0)) pair.server.write(data);
        for (const data of pair.down.splice(0)) pair.client.write(data);
      }
    },
    cut: destroyAll,
    close: () =>
      new Promise((resolve) => {
        destroyAll();
        server.close(() => resolve());
      }),
  };
}
