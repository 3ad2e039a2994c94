/**
 * The gateway's listening socket queues thousands of connections before they are accepted, not
 * Node's default 511: a burst of clients connecting at once is answered, not dropped and retried
 * seconds later. Read back from the kernel (`ss`: a listening socket's Send-Q is its backlog).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { GatewayServer } from '../../core/server.js';

const linux = process.platform === 'linux';
const servers: GatewayServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close(1000)));
});

describe.skipIf(!linux)('the listening socket', () => {
  it('has a backlog of 4096 (or the kernel cap, if lower)', async () => {
    const server = new GatewayServer((_req, res) => res.end(), silentLogger);
    servers.push(server);
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    const line = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
    const backlog = Number(line.split(/\s+/)[2]);
    const cap = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    expect(backlog).toBe(Math.min(4096, cap));
  });
});
