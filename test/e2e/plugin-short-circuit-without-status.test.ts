/**
 * A plugin that answers from its own cache short-circuits as docs/plugins.md shows it: no
 * `next()`, `ctx.response = { kind: 'json', body }`. Before its fix, every API answered that with
 * an opaque 500 ("The gateway failed to handle the request."; logged: "AssertionError: status code
 * must be a number"): the kernel handed the missing status to Koa. Now a status left out is 200
 * (and read back as 200 by the plugins outside), the client gets the plugin's answer, and no
 * upstream is called. A status no answer can have (99.5, 700, "200") is refused where the plugin
 * sets it: the log names `ctx.response.status` and what was found, and the client gets a 500 in its
 * API's own format. The official `openai` and `@anthropic-ai/sdk` clients, real sockets.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { definePlugin, type GatewayResponse } from 'llm-gateway/plugin';
import { startGateway, startMockUpstream, type MockUpstream, type RunningGateway } from 'llm-gateway/testing';
import { createLogger } from '../../core/logger.js';

/** What the canned plugin sets as the status, per test (undefined: left out, as the docs show). */
let cannedStatus: unknown;
/** What the plugin outside it read back on the way out. */
let seenOutside: GatewayResponse | undefined;

const outside = definePlugin({
  name: 'outside',
  setup: () => ({
    async middleware(ctx, next) {
      await next();
      seenOutside = ctx.response;
    },
  }),
});

const cannedAnswer = definePlugin({
  name: 'canned-answer',
  setup: () => ({
    async middleware(ctx) {
      const body = {
        id: 'canned-1', object: 'chat.completion' as const, created: 0, model: ctx.request.model,
        choices: [{ index: 0, message: { role: 'assistant' as const, content: 'from my cache' }, finish_reason: 'stop' }],
      };
      // As docs/plugins.md shows it, typed: no next(), a whole answer, no status.
      if (cannedStatus === undefined) ctx.response = { kind: 'json', body };
      else ctx.response = { kind: 'json', body, status: cannedStatus as number };
    },
  }),
});

let upstream: MockUpstream;
let gw: RunningGateway;
let openai: OpenAI;
let anthropic: Anthropic;
const logLines: string[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway(
    { providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, plugins: [outside(), cannedAnswer()] },
    { logger: createLogger({ level: 'error', write: (line) => logLines.push(line) }) },
  );
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => {
  cannedStatus = undefined;
  seenOutside = undefined;
  logLines.length = 0;
});

describe("a short-circuit with the docs' { kind: 'json', body }, no status", () => {
  it('is the answer an OpenAI client gets, a 200, with no upstream call', async () => {
    const { data, response } = await openai.chat.completions.create({ model: 'mock/m', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]!.message.content).toBe('from my cache');
    expect(upstream.requests).toHaveLength(0);
    expect(seenOutside).toMatchObject({ kind: 'json', status: 200 });
    expect(logLines).toEqual([]);
  });

  it('is the answer an Anthropic client gets, in its own format', async () => {
    const message = await anthropic.messages.create({ model: 'mock/m', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'from my cache' })]);
    expect(upstream.requests).toHaveLength(0);
  });

  it('keeps a status the plugin gives', async () => {
    cannedStatus = 203;
    const { response } = await openai.chat.completions.create({ model: 'mock/m', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(response.status).toBe(203);
  });
});

describe('a status no answer can have', () => {
  it.each([99.5, 700, 0, '200', Number.NaN])('(%s) is a 500 in the API\'s own format, and the log says why', async (status) => {
    cannedStatus = status;
    await expect(openai.chat.completions.create({ model: 'mock/m', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 500, error: { type: 'server_error' } });
    expect(logLines.join('\n')).toContain('ctx.response.status must be an integer from 200 to 599');
    expect(logLines.join('\n')).toContain(`found ${typeof status === 'string' ? JSON.stringify(status) : String(status)}`);
    logLines.length = 0;
    await expect(anthropic.messages.create({ model: 'mock/m', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 500, error: { type: 'error', error: { type: 'api_error' } } });
    expect(logLines.join('\n')).toContain('ctx.response.status must be');
    expect(upstream.requests).toHaveLength(0);
  });
});
