/**
 * Opening a Redis store that is not there: every wait has an end. node-redis retries its first
 * connect forever by itself, so `start` and `check` on a Redis that was down, unreachable or
 * refused the password used to wait without a word. The store now opens within its wait or fails
 * with the reason (URL password masked); a Redis that answers within the wait is used. The
 * wrong-password and late-answer cases need REDIS_URL (`.ci/run` sets it).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore } from '../../../core/store/store.js';
import { runCli } from '../../support/cli.js';
import { startStallableProxy, type StallableProxy } from '../../support/stallable-proxy.js';

const REDIS_URL = process.env.REDIS_URL;
const closing: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close().catch(() => undefined);
});

/** A port nothing listens on: taken from the system, then let go. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server that accepts connections and never says a word, as a hung Redis (or the wrong port) does. */
async function silentServer(): Promise<{ port: number; open: Set<Socket> }> {
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.resume(); // read what comes, so that the client's close is seen
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closing.push(async () => {
    for (const socket of open) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, open };
}

async function elapsed<T>(work: Promise<T>): Promise<{ ms: number; error: Error | undefined }> {
  const started = Date.now();
  const error = await work.then(() => undefined, (e: Error) => e);
  return { ms: Date.now() - started, error };
}

describe('opening a Redis store that does not answer', () => {
  it('fails after its wait when nothing listens, naming the address and not the password', async () => {
    const port = await freePort();
    const { ms, error } = await elapsed(openStore(`redis://:hunter2-secret@127.0.0.1:${port}`, silentLogger, { connectWithinMs: 1500 }));
    expect(error?.message).toBe(`could not connect to the store at redis://:***@127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
    // It tried for its wait (a Redis starting beside the gateway gets that long), and no longer.
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(ms).toBeLessThan(5000);
  });

  it('fails after its wait when the server accepts and never answers', async () => {
    const { port, open } = await silentServer();
    const { ms, error } = await elapsed(openStore(`redis://127.0.0.1:${port}`, silentLogger, { connectWithinMs: 1500 }));
    expect(error?.message).toBe(`could not connect to the store at redis://127.0.0.1:${port}: no answer within 1.5 s`);
    expect(ms).toBeLessThan(5000);
    // The connection given up on is closed, not left open beside the error.
    await expect.poll(() => open.size, { timeout: 2000 }).toBe(0);
  });
});

describe.skipIf(!REDIS_URL)('opening a Redis store that answers', () => {
  it('fails at once on a password Redis refuses, with what Redis said', async () => {
    const url = new URL(REDIS_URL!);
    url.password = 'not-the-password';
    const { ms, error } = await elapsed(openStore(url.toString(), silentLogger));
    // Redis without a password answers "ERR AUTH ... without any password configured"; with one, WRONGPASS.
    expect(error?.message).toMatch(/^could not connect to the store at redis:\/\/[^ ]*:\*\*\*@[^ ]+: (ERR AUTH|WRONGPASS)/);
    expect(error?.message).not.toContain('not-the-password');
    // Asking again would be told the same: no waiting out the 10 s.
    expect(ms).toBeLessThan(3000);
  });

  it('is used when Redis answers late, within the wait', async () => {
    const url = new URL(REDIS_URL!);
    const proxy: StallableProxy = await startStallableProxy(url.hostname, Number(url.port || 6379));
    closing.push(() => proxy.close());
    proxy.stall();
    setTimeout(() => proxy.resume(), 700);
    url.port = String(proxy.port);
    const store = await openStore(url.toString(), silentLogger, { connectWithinMs: 5000 });
    closing.push(() => store.close());
    expect(await store.counters.add(`test:late:${process.pid}`, 1)).toBeGreaterThanOrEqual(1);
  });
});

describe('the CLI on a Redis store that is not there', () => {
  // Both waited forever before, `check` without printing anything.
  // `check` builds the gateway as `start` does; `keys` and `teams` open the same store (openStore, above).
  it.each([['check']])('`%s` exits 1 with the reason within the wait', async (command) => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'redis-connect-'));
    closing.push(async () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'gateway.config.json'), JSON.stringify({ store: `redis://127.0.0.1:${port}` }));
    const result = runCli(command.split(' '), { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`could not connect to the store at redis://127.0.0.1:${port}: connect ECONNREFUSED`);
  });
});
