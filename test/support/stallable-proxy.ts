/**
 * A TCP proxy in front of a real server (Redis, PostgreSQL) that can be stalled, the one fault
 * injector of the suite and the soak test. Two ways to stall:
 * - `stall()` (`'hold'`): nothing flows in either direction on open connections and new ones are
 *   accepted but not answered, as when the server hangs (a long GC, a full disk, a failover in
 *   progress); on `resume()` everything held flows on.
 * - `stall('black-hole')`: bytes both ways are swallowed and nothing is closed, as a dead network
 *   path looks to a client; connections open during it stay dead after `resume()`, new ones work.
 * `cut()` drops every open connection, as a restart would. `deafen()` makes every open connection
 * carry requests but no answers, for good: each command reaches the server and is applied, its
 * answer never comes, as with a server paused and resumed after its client gave up, or a path that
 * lost its way back; new connections work.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export type StallMode = 'hold' | 'black-hole';

export interface StallableProxy {
  readonly port: number;
  readonly stalled: boolean;
  stall(mode?: StallMode): void;
  resume(): void;
  /** Drops every open connection (new ones are served unless stalled). */
  cut(): void;
  /** Open connections carry requests on but no answers back, for good. */
  deafen(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket;
  /** Bytes that arrived during a `hold` stall, each way, delivered on resume. */
  up: Buffer[];
  down: Buffer[];
  /** Swallowed by a black hole: nothing flows on this connection again. */
  dead: boolean;
  /** Deafened: requests flow on, answers are dropped. */
  deaf?: boolean;
}

export async function startStallableProxy(host: string, port: number): Promise<StallableProxy> {
  const pairs = new Set<Pair>();
  let stalled: StallMode | undefined;
  const relay = (pair: Pair, held: Buffer[], to: Socket) => (data: Buffer) => {
    if (stalled === 'black-hole') pair.dead = true;
    if (pair.dead || (pair.deaf && to === pair.client)) return;
    if (stalled === 'hold') held.push(data);
    else to.write(data);
  };
  const server: Server = createServer((client) => {
    const pair: Pair = { client, server: connect(port, host), up: [], down: [], dead: stalled === 'black-hole' };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      pair.client.destroy();
      pair.server.destroy();
    };
    client.on('error', drop).on('close', drop);
    pair.server.on('error', drop).on('close', drop);
    client.on('data', relay(pair, pair.up, pair.server));
    pair.server.on('data', relay(pair, pair.down, client));
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
      return stalled !== undefined;
    },
    stall(mode: StallMode = 'hold') {
      stalled = mode;
      if (mode === 'black-hole') for (const pair of pairs) pair.dead = true;
    },
    resume() {
      stalled = undefined;
      for (const pair of pairs) {
        if (pair.dead) continue;
        for (const data of pair.up.splice(0)) pair.server.write(data);
        for (const data of pair.down.splice(0)) pair.client.write(data);
      }
    },
    cut: destroyAll,
    deafen() {
      for (const pair of pairs) pair.deaf = true;
    },
    close: () =>
      new Promise((resolve) => {
        destroyAll();
        server.close(() => resolve());
      }),
  };
}

/** A stallable proxy in front of the Redis at `redisUrl`, and the URL that reaches Redis through it. */
export async function stallableRedis(redisUrl: string): Promise<{ proxy: StallableProxy; url: string }> {
  const direct = new URL(redisUrl);
  const proxy = await startStallableProxy(direct.hostname, Number(direct.port || 6379));
  const proxied = new URL(redisUrl);
  proxied.port = String(proxy.port);
  return { proxy, url: proxied.toString() };
}
