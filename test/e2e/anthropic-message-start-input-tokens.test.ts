/**
 * Cline, Roo Code and Kilo Code pointed at the gateway as "Anthropic" with a custom base URL read a
 * streamed request's input tokens (and cache reads/writes) from `message_start` only; from
 * `message_delta` they take `output_tokens` alone:
 * - cline/cline src/core/api/providers/anthropic.ts: `case "message_start": ... inputTokens:
 *   usage.input_tokens || 0` / `case "message_delta": ... inputTokens: 0, outputTokens:
 *   chunk.usage.output_tokens` (cline/cline#4346, still open, asks to read message_delta too);
 * - RooCodeInc/Roo-Code src/api/providers/anthropic.ts: the same, and its own cost from them.
 * Claude Code's context meter behaves alike (router-for-me/CLIProxyAPI#1700: a proxy whose
 * message_start said `input_tokens: 0` showed "Ctx: 0 | 0.0%"; fixed there by counting first).
 *
 * When the model behind the name is served by an OpenAI-format host or Gemini (a virtual model, a
 * fallback), the gateway's translated stream starts with `usage: { input_tokens: 0 }` and only the
 * closing message_delta says how big the prompt was. Before its fix, what the user saw: every request counts 0
 * input tokens in Cline/Roo's task header, the cost shown is output only, and the context-window
 * bar never moves, so Roo's automatic condensing never runs and the conversation grows until the
 * model refuses it for length.
 *
 * Right behaviour: message_start carries the prompt's size as the gateway can know it before the
 * upstream answers (its own estimate, as `/v1/messages/count_tokens` gives for these providers),
 * and message_delta the upstream's exact count, as Anthropic's cumulative usage allows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';

let oai: MockUpstream;
let gem: MockGemini;
let gw: RunningGateway;

beforeAll(async () => {
  oai = await startMockUpstream();
  gem = await startMockGemini();
  gw = await startGateway({
    providers: {
      oai: { type: 'openai-compatible', baseURL: oai.baseURL, listModels: false, models: ['gpt-4o'] },
      gemini: mockGeminiProvider(gem, { listModels: false, models: ['gemini-2.5-flash'] }),
    },
  } as never);
});
afterAll(async () => {
  await gw?.close();
  await oai?.close();
  await gem?.close();
});

/** A Roo Code / Cline request as their AnthropicHandler builds it (system and last user turn marked for the cache, tools, stream). */
function clineRequest(model: string): Record<string, unknown> {
  return {
    model,
    max_tokens: 8192,
    temperature: 0,
    stream: true,
    system: [{ type: 'text', text: 'You are Cline, a highly skilled software engineer. '.repeat(40), cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: [{ type: 'text', text: '<task>\nAdd a README\n</task>', cache_control: { type: 'ephemeral' } }] }],
    tools: [{ name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }],
  };
}

interface Event {
  type: string;
  message?: { usage?: { input_tokens?: number } };
  usage?: { input_tokens?: number; output_tokens?: number };
}

async function streamEvents(model: string): Promise<Event[]> {
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'unused', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'prompt-caching-2024-07-31' },
    body: JSON.stringify(clineRequest(model)),
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)) as Event);
}

describe("a translated Anthropic stream's message_start, which Cline and Roo Code read input tokens from", () => {
  for (const model of ['oai/gpt-4o', 'gemini/gemini-2.5-flash']) {
    it(`says how many input tokens the prompt has (${model})`, async () => {
      const events = await streamEvents(model);
      const start = events.find((e) => e.type === 'message_start');
      const delta = events.find((e) => e.type === 'message_delta');
      // The upstream's count does arrive, at the end: the gateway knows the prompt is not empty.
      expect(delta?.usage?.input_tokens).toBeGreaterThan(0);
      // What Cline and Roo add up: 0 now, for a prompt of some 500 tokens.
      expect(start?.message?.usage?.input_tokens).toBeGreaterThan(0);
    });
  }
});
