/**
 * A conversation continued by `previous_response_id` after a compaction (what Codex sends when its
 * context is full) is kept turn by turn, linked, like one without: only the first turn after the
 * compaction, cut to the compacted window, is kept whole. Before its fix, `fromLatestCompaction`
 * returned a new array whenever the history held a compaction, so every later turn was taken for
 * cut and kept whole again (storage growing with the square of the turns once more).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResponseRecords } from '../../plugins/responses/store/response-store.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } } });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const question = (turn: number) => `turn ${turn}: ${'lorem ipsum '.repeat(85)}`;
const raw = (id: string) => gw.gateway.store.kv<ResponseRecords>('responses').get(`response:${id}`) as Promise<({ kind?: string } & Record<string, unknown>) | undefined>;

describe('a conversation after a compaction', () => {
  it('is still kept turn by turn (linked), not whole again at every turn', async () => {
    // Two turns, then a compaction by a trigger (what Codex sends when its context is full).
    const ids: string[] = [];
    for (const turn of [1, 2]) ids.push((await client.responses.create({ model: 'chat/mock-small', input: question(turn), ...(ids.length ? { previous_response_id: ids.at(-1) } : {}) })).id);
    const compacted = await client.responses.create({ model: 'chat/mock-small', previous_response_id: ids.at(-1), input: [{ type: 'compaction_trigger' }] as never });
    expect(compacted.output.map((item) => item.type)).toEqual(['compaction']);
    ids.push(compacted.id);

    const after: string[] = [];
    const TURNS = 30;
    for (let turn = 1; turn <= TURNS; turn++) {
      const response = await client.responses.create({ model: 'chat/mock-small', previous_response_id: (after.at(-1) ?? ids.at(-1))!, input: question(100 + turn) });
      expect(response.output_text).toBe(`echo: ${question(100 + turn)}`);
      after.push(response.id);
    }
    // The first turn after the compaction is cut to the compacted window (kept whole); nothing is
    // cut after it, so the turns after it can be linked.
    const kinds = await Promise.all(after.map(async (id) => (await raw(id))?.kind));
    expect(kinds.slice(1).filter((kind) => kind === 'whole').length).toBeLessThanOrEqual(1);

    // What the docs promise: storage growing with the turns, not their square.
    let bytes = 0;
    for (const id of after) bytes += JSON.stringify(await raw(id)).length;
    const perTurn = 2 * question(TURNS).length;
    expect(bytes).toBeLessThan(TURNS * perTurn * 4);

    // And a follow-up still gets the compacted window and every turn after it.
    const items = await client.responses.inputItems.list(after.at(-1)!, { order: 'asc', limit: 100 });
    expect(items.data.filter((item) => item.type === 'compaction')).toHaveLength(1);
  });
});
