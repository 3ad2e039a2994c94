/**
 * `/v1/completions` passed through natively (the `openai` type) with several choices (several
 * prompts, or `n`): each choice streams until its own `finish_reason` (OpenAI API reference,
 * completions: `n` is "How many completions to generate for each prompt"), so the stream is
 * complete only once every one of the prompts × n choices finished, as for chat's `n` choices
 * (test/e2e/openai-stream-edges.test.ts, "n > 1 streams"). An upstream that ends its stream (no
 * `[DONE]`) while a choice is still mid-answer is `upstream_stream_truncated`: the client's stream
 * ends with that error, not `[DONE]`, and the usage log records an error.
 *
 * Before its fix, plugins/openai/completions.ts took the stream for finished as soon as any one
 * choice had a finish_reason, so the cut answer ended with `[DONE]` and was logged as ok.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { oai: { type: 'openai', apiKey: 'sk-test', baseURL: upstream.baseURL, listModels: false } },
    plugins: [usageLogger({ url: 'sqlite::memory:' })],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const base = { id: 'cmpl-1', object: 'text_completion', created: 1, model: 'gpt-3.5-turbo-instruct' };
const piece = (index: number, text: string, finish: string | null = null) => ({ ...base, choices: [{ text, index, logprobs: null, finish_reason: finish }] });

describe.each([
  ['two prompts', { prompt: ['one', 'two'] }],
  ['n: 2', { prompt: 'one', n: 2 }],
])('a text completion stream with %s', (_name, extra) => {
  it('that ends while a choice is unfinished ends with an error, not [DONE], and is logged as an error', async () => {
    upstream.enqueue({ stream: { chunks: [piece(0, 'a '), piece(1, 'b '), piece(0, '', 'stop'), piece(1, 'still going')], done: false } });
    const res = await fetch(`${gw.baseURL}/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'oai/gpt-3.5-turbo-instruct', stream: true, ...extra }),
    });
    const body = await res.text();
    expect(body).toContain('still going');
    expect(body).not.toContain('data: [DONE]');
    expect(body).toContain('upstream_stream_truncated');
    const record = await usageRecordOf(gw, res.headers.get('x-request-id')!);
    expect(record.outcome).toBe('error');
  });
});
