/**
 * The usage log on PostgreSQL keeps a record whose values the database would refuse as they came,
 * and the records beside it in its batch.
 *
 * Before its fix:
 * - A client named `mock/<about 1,000 CJK characters>` (under the gateway's limit of 1,024
 *   characters, but 3 KB of UTF-8). `model` is in a btree index, whose entries hold at most 2,704
 *   bytes: PostgreSQL refused the INSERT (SQLSTATE 54000).
 * - An upstream reported `prompt_tokens: 3000000000` (past `integer`'s 2,147,483,647), refused as
 *   out of range (22003); so were 1e308, and latency, time to first token and status past it.
 * Since a batch is one transaction, every record of the batch (up to 500, any client's) was lost
 * after its retries: one such request a second would have erased the gateway's usage log. Indexed
 * texts are now capped at 512 bytes and counts and times clamped to the columns' range
 * (plugins/usage-logger/log/rows.ts `indexedText`, `whole`), and a batch the database refuses for
 * what it holds is written again in halves, down to the record refused (batcher.ts `writeInHalves`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageLogger, usageLogService } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { DATABASE_URL, throwawayDatabase, type ThrowawayDatabase } from '../support/throwaway-database.js';

describe.skipIf(!DATABASE_URL)('values PostgreSQL would refuse, on the usage log', () => {
  let db: ThrowawayDatabase;
  let upstream: MockUpstream;
  let gw: RunningGateway;

  beforeAll(async () => {
    db = await throwawayDatabase('refused');
    upstream = await startMockUpstream();
    gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [usageLogger({ url: db.url })] });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await db?.drop();
  });

  const chat = async (model: string, content = 'hi') => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
    });
    await res.arrayBuffer();
    return { status: res.status, id: res.headers.get('x-request-id')! };
  };

  it("keeps a well-behaved client's record (and the long-named one's) when both share a batch", async () => {
    // 1,000 distinct CJK characters: 1,005 UTF-16 units with the prefix (accepted), 3,000 bytes of UTF-8.
    const hostileModel = `mock/${Array.from({ length: 1000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20000))).join('')}`;
    // Sent together, so both records are pushed well within one batch window (maxWaitMs 1 s).
    const [neighbour, hostile] = await Promise.all([chat('mock/mock-small'), chat(hostileModel)]);
    expect([neighbour.status, hostile.status]).toEqual([200, 200]);

    const log = gw.gateway.tryResolve(usageLogService)!;
    await log.flush();
    const stored = async (id: string) => Number((await db.query('SELECT count(*) AS n FROM public.usage_records WHERE request_id = $1', [id])).rows[0].n);
    expect({ neighbour: await stored(neighbour.id), hostile: await stored(hostile.id), stats: log.stats() }).toEqual({
      neighbour: 1,
      hostile: 1,
      stats: expect.objectContaining({ failedWrites: 0 }),
    });
  }, 30_000);

  it('stores the request whose upstream stated 3e9 prompt tokens, and the request beside it', async () => {
    upstream.enqueue({ body: completion({ usage: { prompt_tokens: 3_000_000_000, completion_tokens: 2, total_tokens: 3_000_000_002 } }) });
    // The absurd answer is the first queued scenario; the two requests take milliseconds, so both
    // records are pushed within one batch window (maxWaitMs 1 s). Either way the absurd one must be kept.
    const absurd = await chat('mock/mock-small', 'first');
    const neighbour = await chat('mock/mock-small', 'second');
    expect([absurd.status, neighbour.status]).toEqual([200, 200]);

    const log = gw.gateway.tryResolve(usageLogService)!;
    await log.flush();
    const stored = async (id: string) => Number((await db.query('SELECT count(*) AS n FROM public.usage_records WHERE request_id = $1', [id])).rows[0].n);
    expect({ absurd: await stored(absurd.id), neighbour: await stored(neighbour.id), stats: log.stats() }).toEqual({
      absurd: 1,
      neighbour: 1,
      stats: expect.objectContaining({ failedWrites: 0 }),
    });
  }, 30_000);
});
