/**
 * `openai.completions.create({ stream: true })` (no `stream_options`) through `/v1/completions` to a
 * host that serves text completions itself (the `openai` type; `openai-compatible` with
 * `completions: true`, which the Ollama, vLLM, llama.cpp, Together... presets set), with the usage
 * logger as the shipped gateway.config.ts has it (no token counter).
 *
 * Before its fix, what the user saw: every streamed legacy completion (what autocomplete tools send, one per
 * keystroke) is recorded with `completionTokens: 0` and a guessed prompt (`tokensEstimated: true`),
 * so /admin/usage, the dashboard and costs count none of the generated text; with a budgeted key,
 * an answer nobody measured keeps its whole reservation. The gateway sends the client's body as
 * written, without `stream_options.include_usage`, and OpenAI reports a streamed answer's usage
 * only when that is set (openai-node `CompletionCreateParamsBase.stream_options`:
 * `ChatCompletionStreamOptions`, "If set, an additional chunk will be streamed before the
 * `data: [DONE]` message. The `usage` field on this chunk shows the token usage statistics for
 * the entire request"). The chat front-end got exactly this fix (test/e2e/stream-usage-always-asked.test.ts);
 * the same request answered from chat (a chat-only provider) is already asked for usage
 * (completions-request.ts adds it to the chat view), but the native body is not.
 *
 * Right behaviour (docs/keys-and-usage.md, "Streaming requests always ask the upstream for usage
 * (stream_options.include_usage, the gateway's doing ...); the client still gets only what it
 * asked for"): the native body goes up with `stream_options.include_usage: true`, the record holds
 * the provider's counts, and the client that did not ask gets no usage chunk.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let openai: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      oai: mockProvider(upstream, { type: 'openai', apiKey: 'sk-upstream' }),
      local: mockProvider(upstream, { completions: true }),
    },
    plugins: [usageLogger({ url: 'sqlite::memory:' })],
  });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

for (const model of ['oai/gpt-3.5-turbo-instruct', 'local/qwen2.5-coder']) {
  it(`records the provider's own token counts of a streamed text completion (${model})`, async () => {
    upstream.reset();
    const { data: stream, response } = await openai.completions.create({ model, prompt: 'one two three four', stream: true }).withResponse();
    let text = '';
    for await (const chunk of stream) {
      // The client did not ask for usage and gets none (so no choice-less chunk either).
      expect(chunk.usage ?? undefined).toBeUndefined();
      expect(chunk.choices.length).toBeGreaterThan(0);
      text += chunk.choices[0]?.text ?? '';
    }
    expect(text).toBe('echo: one two three four');
    const record = await usageRecordOf(gw, response.headers.get('x-request-id')!);
    // The mock reports completion_tokens 5 (one a word) when asked.
    expect(record.completionTokens).toBe(5);
    expect(record.tokensEstimated).toBe(false);
    const sent = upstream.requests.find((r) => r.path === '/v1/completions');
    expect(sent?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });
}
