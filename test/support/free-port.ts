/**
 * A port nothing listens on: the one the OS hands out for port 0, released at once. The OS cycles
 * through its ephemeral range before handing a port out again, so it stays free long enough for a
 * child process to take it; a random port in that range may already belong to another socket of
 * the suite.
 */
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
