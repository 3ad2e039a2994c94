/**
 * Roo Code (and Kilo Code, its fork) pointed at the gateway as "OpenAI Compatible" always send a
 * temperature, 0 unless the user set one, and `reasoning_effort` when the user turns reasoning on
 * for the model: RooCodeInc/Roo-Code src/api/providers/openai.ts builds `{ model, temperature:
 * this.options.modelTemperature ?? 0, messages, stream: true, stream_options: { include_usage:
 * true }, ...reasoning, tools, ... }`, `reasoning` being `{ reasoning_effort }` from getModelParams.
 *
 * With a Claude model behind the gateway, `reasoning_effort` becomes Anthropic's `thinking`
 * (plugins/anthropic/protocol/from-openai-request.ts) and the temperature goes up beside it as 0.
 * Anthropic refuses that combination on every request: with thinking on, `temperature` may only be
 * 1 and `top_k` is not allowed ("temperature may only be set to 1 when thinking is enabled";
 * Anthropic's extended-thinking docs: thinking "isn't compatible with temperature or top_k
 * modifications"). Before its fix, what the user saw: every turn of a Roo task fails with a 400 as soon as
 * reasoning is on, although the same settings work against OpenAI-format hosts and Gemini.
 *
 * The gateway made the thinking itself, as it already fits `max_tokens` around the budget and
 * leaves thinking out of tool loops it cannot continue. Right behaviour: a request that thinks
 * goes up without the sampling settings Anthropic refuses with thinking (temperature other than
 * 1, top_k; top_p below 0.95), named in `x-gateway-dropped`, or is refused by the gateway itself
 * under `unsupportedParams: 'error'`, before anything is sent.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessage } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false, models: ['claude-sonnet-4-5'] } } } as never);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

/** Roo Code's OpenAI-compatible request with reasoning on (its streaming path, no stream here to read the answer whole). */
function rooRequest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'claude/claude-sonnet-4-5',
    temperature: 0,
    messages: [
      { role: 'system', content: [{ type: 'text', text: "You are Roo, a highly skilled software engineer.", cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: [{ type: 'text', text: '<task>fix the bug</task>', cache_control: { type: 'ephemeral' } }] },
    ],
    reasoning_effort: 'medium',
    ...extra,
  };
}

async function send(body: Record<string, unknown>): Promise<{ status: number; sent: Record<string, unknown> | undefined }> {
  upstream.enqueue({ body: anthropicMessage([{ thinking: { text: 'Let me look.', signature: 'sig-1' } }, { text: 'Fixed.' }]) });
  const res = await fetch(`${gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer unused', 'HTTP-Referer': 'https://github.com/RooVetGit/Roo-Cline', 'X-Title': 'Roo Code' },
    body: JSON.stringify(body),
  });
  await res.text();
  return { status: res.status, sent: upstream.requests.at(-1)?.body };
}

/** What Anthropic refuses with thinking on: a temperature other than 1, any top_k, a top_p below 0.95. */
function refusedByAnthropic(sent: Record<string, unknown>): string[] {
  if (!sent.thinking || (sent.thinking as { type?: string }).type === 'disabled') return [];
  const bad: string[] = [];
  if (sent.temperature !== undefined && sent.temperature !== 1) bad.push(`temperature ${String(sent.temperature)}`);
  if (sent.top_k !== undefined) bad.push('top_k');
  if (typeof sent.top_p === 'number' && sent.top_p < 0.95) bad.push(`top_p ${sent.top_p}`);
  return bad;
}

describe("Roo Code's temperature 0 with reasoning_effort, to a Claude model", () => {
  it('never reaches Anthropic as thinking beside a temperature Anthropic refuses with it', async () => {
    const { status, sent } = await send(rooRequest());
    // Either the gateway refuses it itself (a 400 naming the field, nothing sent) or it sends what Anthropic takes.
    if (status === 400) expect(sent).toBeUndefined();
    else {
      expect(sent?.thinking).toBeDefined();
      expect(refusedByAnthropic(sent!)).toEqual([]);
    }
  });

  it('nor with top_k and a low top_p, sampling options any OpenAI client may send', async () => {
    const { status, sent } = await send(rooRequest({ temperature: undefined, top_p: 0.5, top_k: 40 }));
    if (status === 400) expect(sent).toBeUndefined();
    else expect(refusedByAnthropic(sent!)).toEqual([]);
  });
});
