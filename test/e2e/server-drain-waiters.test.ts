/**
 * GatewayServer: a reload (`swap`, start --watch) waiting for the previous generation's requests,
 * then a shutdown (`close`) waiting for them too: both hear it when the last request of that
 * generation ends, so the previous gateway is closed right after its last request.
 * Before its fix, the server kept one idle callback per generation and close()'s replaced the
 * reload's, whose wait then lasted its whole deadline (shutdownTimeoutMs).
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { GatewayServer } from '../../core/server.js';
import { silentLogger } from '../../core/logger.js';

describe('GatewayServer: a reload waiting for the previous generation, then a shutdown', () => {
  it('tells both waits when the last request of that generation ends', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const server = new GatewayServer((_req, res) => void held.then(() => res.end('done')), silentLogger);
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    const answered = new Promise<string>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', path: '/', headers: { connection: 'close' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
    await new Promise((resolve) => setTimeout(resolve, 100));

    const drained = server.swap((_req, res) => void res.end('next'))(5000);
    const closed = server.close(5000);
    const start = performance.now();
    let reloadWaitedMs: number | undefined;
    void drained.then(() => (reloadWaitedMs = performance.now() - start));
    release();
    expect(await answered).toBe('done');
    await closed;
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 1000))]);
    expect(reloadWaitedMs).toBeDefined();
    expect(reloadWaitedMs!).toBeLessThan(1000);
    await drained;
  }, 15_000);
});
