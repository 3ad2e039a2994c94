/**
 * The token counter runs the tokenizer only when a figure is read: never when the upstream reports
 * usage and nothing asks for the prompt's size; the prompt once when a rule needs it; the answer
 * when the upstream reports no usage.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { definePlugin, rules, tokenCounter, type Usage } from '../../../index.js';
import { usageOf } from '../../../plugins/token-counter/index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { completion, startMockUpstream, wordChunks, type MockUpstream } from '../../support/mock-upstream.js';

const spies = vi.hoisted(() => ({ prompt: 0, completion: 0 }));
vi.mock('../../../plugins/token-counter/count.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../plugins/token-counter/count.js')>();
  return {
    ...original,
    countPromptTokens: (...args: Parameters<typeof original.countPromptTokens>) => (spies.prompt++, original.countPromptTokens(...args)),
    countCompletionTokens: (...args: Parameters<typeof original.countCompletionTokens>) => (spies.completion++, original.countCompletionTokens(...args)),
  };
});

const seen: Array<{ usage: Usage; estimated: boolean }> = [];
const probe = definePlugin({
  name: 'test:usage-probe',
  setup(host) {
    host.events.on('request:end', (ctx) => void seen.push(usageOf(ctx)));
    return {};
  },
});

let upstream: MockUpstream;
let plain: RunningGateway;
let withRule: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  const providers = { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } };
  plain = await startGateway({ providers, plugins: [tokenCounter({ preload: false }), probe()] });
  withRule = await startGateway({
    providers,
    plugins: [tokenCounter({ preload: false }), rules({ rules: [{ when: { minPromptTokens: 1000 }, route: 'mock/big' }] }), probe()],
  });
});
afterAll(async () => {
  await plain?.close();
  await withRule?.close();
  await upstream?.close();
});
beforeEach(() => {
  spies.prompt = 0;
  spies.completion = 0;
  seen.length = 0;
});

async function ask(gw: RunningGateway, stream: boolean): Promise<void> {
  const res = await fetch(`${gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/mock-small', stream, messages: [{ role: 'user', content: 'count me' }] }),
  });
  expect(res.status).toBe(200);
  await res.text();
  await vi.waitFor(() => expect(seen).toHaveLength(1));
}

describe('token counter, lazily', () => {
  it('never tokenizes when the upstream reports usage and nothing asks for the prompt size', async () => {
    upstream.enqueue({ body: completion({ content: 'four words of answer', usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } }) });
    await ask(plain, false);
    upstream.enqueue({ stream: { chunks: wordChunks('one two three', { usage: true }) } });
    seen.length = 0;
    await ask(plain, true);
    expect(seen[0]).toEqual({ usage: expect.objectContaining({ prompt_tokens: 5 }), estimated: false });
    expect(spies).toEqual({ prompt: 0, completion: 0 });
  });

  it('counts the prompt and the answer when the upstream reports no usage', async () => {
    upstream.enqueue({ stream: { chunks: wordChunks('one two three') } });
    await ask(plain, true);
    expect(seen[0]?.estimated).toBe(true);
    expect(seen[0]?.usage.completion_tokens).toBeGreaterThan(0);
    expect(seen[0]?.usage.prompt_tokens).toBeGreaterThan(0);
    expect(spies.prompt).toBe(1);
    expect(spies.completion).toBe(1);
  });

  it('counts the prompt once when a rule reads its size, and not the reported answer', async () => {
    upstream.enqueue({ body: completion({ content: 'ok', usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 } }) });
    await ask(withRule, false);
    expect(spies).toEqual({ prompt: 1, completion: 0 });
    expect(seen[0]).toEqual({ usage: expect.objectContaining({ prompt_tokens: 9 }), estimated: false });
  });
});
