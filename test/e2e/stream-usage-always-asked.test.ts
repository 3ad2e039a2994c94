/**
 * `client.chat.completions.stream()` (and `runTools({ stream: true })`, and any `create({ stream: true })`
 * without `stream_options`) through `/v1/chat/completions` to an OpenAI-format upstream, with the
 * usage logger as the shipped default config has it (`plugins: [usageLogger(), dashboard()]`,
 * gateway.config.ts): no token counter.
 *
 * Before its fix, what the user saw: every such streamed request is recorded with `completionTokens: 0` (and a
 * prompt count the gateway guessed, `tokensEstimated: true`), so its cost is the guessed prompt's
 * alone, and /admin/usage and the dashboard under-count every streamed answer. The SDK's stream
 * helper never sets `stream_options.include_usage` by itself, and OpenAI "only" sends a streamed
 * answer's usage when that is set (Chat Completions reference, `stream_options.include_usage`: "If
 * set, an additional chunk will be streamed before the data: [DONE] message. The usage field on this
 * chunk shows the token usage statistics for the entire request"; openai-node
 * `ChatCompletionStreamOptions.include_usage`).
 *
 * Right behaviour: the usage logger asks the upstream for the usage (`askForStreamUsage`, as the
 * token counter, auth's budgets, rate limits and the cache already do; the chat front-end drops the
 * usage chunk for a client that did not ask, core: plugins/openai/api/chat-completions.ts), so the
 * record holds the provider's own counts. The Responses and Anthropic front-ends already ask
 * (to-chat-request.ts, to-openai-request.ts): only chat completions are left out. Since the
 * fifty-third session the kernel asks on every chat stream instead, in its copy of the request
 * (stream-usage-asked-by-kernel.test.ts).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { usageLogService, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let openai: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { oai: mockProvider(upstream, { type: 'openai', apiKey: 'sk-upstream' }) }, plugins: [usageLogger({ url: 'sqlite::memory:' })] });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

it('records the provider-reported tokens of a chat.completions.stream() answer', async () => {
  const stream = openai.chat.completions.stream({ model: 'oai/gpt-4o-mini', messages: [{ role: 'user', content: 'one two three four' }] });
  const final = await stream.finalChatCompletion();
  expect(final.choices[0]?.message.content).toBe('echo: one two three four');
  // The client did not ask for usage, and still gets none (the front-end drops the chunk; the
  // other chunks say `usage: null`, as OpenAI's do once the upstream is asked).
  expect(final.usage ?? undefined).toBeUndefined();
  const record = await usageRecordOf(gw, await onlyRequestId());
  // The mock answers `echo: one two three four` in 5 word chunks and reports completion_tokens 5
  // when asked (stream_options.include_usage). Before the fix: 0 completion tokens, estimated.
  expect(record.completionTokens).toBe(5);
  expect(record.tokensEstimated).toBe(false);
});

/** The one request this file makes (the stream helper does not expose the response headers). */
async function onlyRequestId(): Promise<string> {
  const log = gw.gateway.tryResolve(usageLogService)!;
  await expect.poll(async () => (await log.flush(), (await log.list({})).records.length)).toBe(1);
  return (await log.list({})).records[0]!.requestId;
}
