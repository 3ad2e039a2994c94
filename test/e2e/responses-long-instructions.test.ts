/**
 * `maxStoredBytes` weighs a response's conversation (every item that led to it) and the response,
 * as it did when each turn was kept whole. Before its fix, a linked turn added its whole Response
 * object to the conversation's weight, so a chain counted the request's `instructions` and tools
 * once a turn: a conversation of short messages with 20 KB of instructions (as Codex sends them
 * every turn) reached a 200 KB bound at its tenth turn, which was not kept, and its follow-up was
 * a 404.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    responses: { maxStoredBytes: 200_000 },
    providers: { chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('a long-instructions conversation under maxStoredBytes', () => {
  it('keeps every turn when each one, kept whole, weighs a small share of the bound', async () => {
    // 20 KB of instructions each turn (as Codex sends its prompt and tools every turn), short messages.
    const instructions = `You are a coding agent. ${'Follow the rules. '.repeat(1100)}`;
    let previous: string | undefined;
    for (let turn = 1; turn <= 15; turn++) {
      const response = await client.responses.create({ model: 'chat/mock-small', instructions, input: `question ${turn}`, ...(previous ? { previous_response_id: previous } : {}) });
      expect(response.output_text).toBe(`echo: question ${turn}`);
      // The whole conversation with this turn's response: about 22 KB, a ninth of the bound.
      previous = response.id;
    }
    // The last turn was kept: it can be retrieved and continued.
    expect((await client.responses.retrieve(previous!)).id).toBe(previous);
  });
});
