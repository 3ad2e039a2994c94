/**
 * While PostgreSQL is away, a queued usage record holds its bodies as the log will store them
 * (capped at 16 KB, redacted), not the whole request and answer.
 *
 * Before its fix: bodies were captured, capped and redacted only when a batch's INSERT ran, after a
 * connection was made: while the database was away, each queued record kept the whole answer the
 * client was sent, and through its closure's context the parsed answer too. 40 answers of 1 MB
 * kept 82 MiB alive where the cap allows 1.3 MB; the queue is bounded in records (100,000), so a
 * long outage with large bodies would have run the process out of memory, losing every queued
 * record. Once a write is put back for the database, the records that wait (put back, already
 * queued, and pushed since) are shrunk to what will be written (batcher.ts `shrink`,
 * sql-usage-log.ts `resolveDeferredBodies`).
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { usageLogger, usageLogService } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { DATABASE_URL, throwawayDatabase, type ThrowawayDatabase } from '../support/throwaway-database.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
};

describe.skipIf(!DATABASE_URL)('the usage log queue while PostgreSQL is away, bodies on', () => {
  let db: ThrowawayDatabase;
  let upstream: MockUpstream;
  let gw: RunningGateway;
  const lines: string[] = [];
  let down = false;
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    if (down) return void client.destroy();
    const target = new URL(DATABASE_URL!);
    const server = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(server);
    const drop = () => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on('error', drop).on('close', drop).pipe(server);
    server.on('error', drop).on('close', drop).pipe(client);
  });

  beforeAll(async () => {
    db = await throwawayDatabase('outage');
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const url = new URL(db.url);
    url.hostname = '127.0.0.1';
    url.port = String((proxy.address() as AddressInfo).port);
    upstream = await startMockUpstream({ record: false });
    gw = await startGateway(
      { providers: { mock: mockProvider(upstream) }, plugins: [usageLogger({ url: url.toString(), bodies: { request: true, response: true } })] },
      { logger: createLogger({ level: 'warn', write: (line) => lines.push(line) }) },
    );
  });
  afterAll(async () => {
    down = false;
    await gw?.close();
    await upstream?.close();
    proxy.close();
    for (const s of sockets) s.destroy();
    await db?.drop();
  });

  it('holds no more than the capped bodies for each queued record', async () => {
    const log = gw.gateway.tryResolve(usageLogService)!;
    down = true;
    for (const s of sockets) s.destroy();

    const ANSWERS = 40;
    const before = heapAfterGc();
    for (let i = 0; i < ANSWERS; i++) {
      upstream.enqueue({ body: completion({ content: `${i} ${'lorem ipsum '.repeat(87_000)}` }) }); // ~1 MB of answer
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: `question ${i}` }] }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    // The batch was tried and kept for the database: the records wait in the queue, as promised.
    await expect.poll(() => lines.some((l) => /could not be written yet; they wait in the queue/.test(l)), { timeout: 15_000, interval: 100 }).toBe(true);
    expect(log.stats()).toMatchObject({ queued: ANSWERS, failedWrites: 0, dropped: 0 });

    const heldMiB = (heapAfterGc() - before) / 2 ** 20;
    // What the log will store of them: two bodies of at most 16 KB each a record (1.25 MiB, twice that as UTF-16), with room to spare for the heap's own noise (~4 MiB here).
    expect(heldMiB, `heap held for ${ANSWERS} queued records: ${heldMiB.toFixed(1)} MiB`).toBeLessThan(16);

    // Back up: the records are written (with their bodies capped), none lost.
    down = false;
    await expect.poll(async () => (await log.flush(), log.stats().written), { timeout: 20_000, interval: 200 }).toBe(ANSWERS);
  }, 60_000);
});
