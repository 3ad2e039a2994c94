/**
 * A TCP proxy in front of a real server (Redis, PostgreSQL) that can go silent: `stall()` makes
 * every connection a black hole (bytes both ways are swallowed, nothing is closed), as a hung
 * server or a dead network path looks to a client; `resume()` lets new connections through again,
 * while the connections that were stalled stay dead. `cut()` closes every open connection.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface StallProxy {
  readonly port: number;
  stall(): void;
  resume(): void;
  cut(): void;
  close(): Promise<void>;
}

export async function startStallProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<StallProxy> {
  let stalled = false;
  const pairs = new Set<{ client: Socket; server: Socket; dead: boolean }>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    const pair = { client, server: upstream, dead: stalled };
    pairs.add(pair);
    client.on('data', (data) => void (!pair.dead && upstream.write(data)));
    upstream.on('data', (data) => void (!pair.dead && client.write(data)));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const proxy: StallProxy = {
    port,
    stall() {
      stalled = true;
      for (const pair of pairs) pair.dead = true;
    },
    resume() {
      stalled = false;
    },
    cut() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.server.destroy();
      }
    },
    async close() {
      proxy.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
