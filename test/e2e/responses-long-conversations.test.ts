/**
 * A long conversation continued by `previous_response_id`, through real sockets with the official
 * `openai` client, the gateway's SQLite store and a gateway restarted on the same file: every turn
 * reaches the upstream with the whole conversation, the store holds each turn about once (it held
 * every earlier turn again in each record, so a conversation of n turns cost storage growing with
 * n²), and a deleted turn ends the follow-ups that run through it with a clear 404.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LONGEST_CHAIN } from '../../plugins/responses/store/response-store.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-responses-'));
const file = join(dir, 'gateway.sqlite');
let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

const start = async () => {
  gw = await startGateway({
    store: `sqlite://${file}`,
    providers: {
      chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
      claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false },
    },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
};

beforeAll(async () => {
  upstream = await startMockUpstream();
  await start();
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** About a kilobyte a question, so that a record holding every turn again would show. */
const question = (turn: number) => `turn ${turn}: ${'lorem ipsum '.repeat(85)}`;
const TURNS = LONGEST_CHAIN + 8;
const ids: string[] = [];

/** The bytes of the responses the store holds (`response:` records in the keyv table). */
async function storedResponseBytes(): Promise<number> {
  const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);
  try {
    return await new Promise<number>((resolve, reject) =>
      db.get("SELECT coalesce(sum(length(value)), 0) AS bytes FROM keyv WHERE key LIKE '%response:resp_%'", (error: Error | null, row: { bytes: number }) => (error ? reject(error) : resolve(row.bytes))),
    );
  } finally {
    db.close();
  }
}

describe('a conversation of many turns by previous_response_id', () => {
  it('sends every turn the whole conversation, and stores each turn about once', async () => {
    for (let turn = 1; turn <= TURNS; turn++) {
      // Turn by turn on two providers: the conversation is the gateway's, not a provider's.
      const model = turn % 2 === 1 ? 'chat/mock-small' : 'claude/claude-test';
      const response = await client.responses.create({ model, input: question(turn), ...(ids.length > 0 ? { previous_response_id: ids.at(-1) } : {}) });
      expect(response.output_text).toBe(`echo: ${question(turn)}`);
      ids.push(response.id);
    }
    // The last turn (even: Anthropic) went up with every question and answer before it, in order.
    const messages = (upstream.requests.filter((r) => r.path === '/v1/messages').at(-1)?.body as { messages: Array<{ role: string; content: Array<{ text: string }> }> }).messages;
    expect(messages).toHaveLength(2 * TURNS - 1);
    expect(messages.map((m) => m.content[0]?.text)).toEqual(Array.from({ length: TURNS }, (_, i) => [question(i + 1), ...(i + 1 < TURNS ? [`echo: ${question(i + 1)}`] : [])]).flat());

    const items = await client.responses.inputItems.list(ids.at(-1)!, { order: 'asc', limit: 100 });
    expect(items.data).toHaveLength(2 * TURNS - 1);
    expect(items.has_more).toBe(false);

    await gw.close();
    // Each turn weighs about 1.2 KB as the store keeps it (a question and its echo). Kept whole,
    // the records held 1 + 2 + … + 40 turns (about 1 MB); linked, each turn once, and every
    // LONGEST_CHAIN + 1 turns the conversation whole again.
    const perTurn = 2 * question(TURNS).length;
    const bytes = await storedResponseBytes();
    expect(bytes).toBeGreaterThan(TURNS * perTurn);
    expect(bytes).toBeLessThan(TURNS * perTurn * 3);
  });

  it('goes on after a restart, from the records in the file', async () => {
    await start();
    upstream.reset();
    const next = await client.responses.create({ model: 'chat/mock-small', previous_response_id: ids.at(-1), input: 'and now?' });
    expect(next.output_text).toBe('echo: and now?');
    const sent = upstream.requests.find((r) => r.path === '/v1/chat/completions')?.body as { messages: Array<{ content: string }> };
    expect(sent.messages).toHaveLength(2 * TURNS + 1);
    expect(sent.messages[0]?.content).toBe(question(1));
  });

  it('ends the follow-ups that run through a deleted turn with a 404 that says why', async () => {
    await client.responses.delete(ids[19]!);
    // A turn linked through the deleted one: still retrievable, but it cannot be continued.
    const linked = ids[LONGEST_CHAIN]!;
    expect((await client.responses.retrieve(linked)).id).toBe(linked);
    const error = await client.responses.create({ model: 'chat/mock-small', previous_response_id: linked, input: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ param: 'previous_response_id', code: 'previous_response_not_found', message: expect.stringMatching(/earlier response of its conversation was deleted or has expired/) });
    await expect(client.responses.inputItems.list(linked)).rejects.toMatchObject({ status: 404 });
    // The last turn builds on a later whole record, which still holds every turn.
    const last = await client.responses.create({ model: 'chat/mock-small', previous_response_id: ids.at(-1), input: 'still here?' });
    expect(last.output_text).toBe('echo: still here?');
  });
});
