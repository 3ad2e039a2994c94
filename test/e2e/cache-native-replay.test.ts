/**
 * gateway:cache gives a hit on an answer that first came natively (Anthropic, OpenAI Responses) back
 * as the answer the miss got, "rendered in their own format" (docs/cache.md, "What is kept, and how
 * it comes back"), whole or streamed, whichever way the miss came:
 *
 * - an Anthropic answer ended by one of the request's stop sequences keeps `stop_reason:
 *   "stop_sequence"` and the `stop_sequence` that matched (the chat view keeps them beside its `stop`
 *   as `native_finish_reason` and `stop_sequence` on the choice);
 * - an OpenAI Responses answer keeps its reasoning item's `encrypted_content` (and id), which a
 *   stateless client (Codex: `store: false`, `include: ['reasoning.encrypted_content']`) sends back
 *   next turn (the chat view keeps the upstream's reasoning items as `reasoning_items`).
 *
 * Before its fix, a hit said `{stop_reason: 'end_turn', stop_sequence: null}` (the chat view had only
 * `stop`), and a Responses hit's reasoning item was rebuilt from the reasoning text alone, without
 * OpenAI's `encrypted_content`. Real sockets, official SDKs, the mock upstream.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { anthropicMessage, anthropicStreamEvents } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { responsesSseEvent, responsesStreamEvents } from '../support/responses-wire.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      claude: { type: 'anthropic', apiKey: 'k', baseURL: upstream.baseURL, listModels: false },
      openai: { type: 'openai', apiKey: 'sk-openai', baseURL: upstream.baseURL, listModels: false },
    },
    plugins: [cache()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

/** Anthropic's stream of a message ended by the stop sequence `###`. */
function stoppedBySequenceEvents(text: string): string[] {
  return anthropicStreamEvents([{ text }], { stopReason: 'stop_sequence' }).map((event) => (event.includes('"message_delta"') ? event.replace('"stop_sequence":null', '"stop_sequence":"###"') : event));
}

/** The stop reason and sequence a stream of Anthropic events ends with (its message_delta). */
async function streamedStop(stream: AsyncIterable<Anthropic.MessageStreamEvent>): Promise<{ stop_reason: unknown; stop_sequence: unknown }> {
  let stop: { stop_reason: unknown; stop_sequence: unknown } | undefined;
  for await (const event of stream) if (event.type === 'message_delta') stop = { stop_reason: event.delta.stop_reason, stop_sequence: event.delta.stop_sequence };
  return stop ?? { stop_reason: undefined, stop_sequence: undefined };
}

describe('native answers replayed from the cache', () => {
  it('keeps stop_reason "stop_sequence" and the matched stop_sequence on an Anthropic hit', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
    upstream.enqueue({ body: { ...anthropicMessage([{ text: 'Step 1: open the lid.\n' }], { stopReason: 'stop_sequence' }), stop_sequence: '###' } });
    const params = { model: 'claude/claude-test', max_tokens: 200, stop_sequences: ['###', '---'], messages: [{ role: 'user' as const, content: 'List the steps, one per line.' }] };
    const miss = await client.messages.create(params).withResponse();
    expect(miss.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(miss.data).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: '###' });

    const hit = await client.messages.create(params).withResponse();
    expect(hit.response.headers.get('x-gateway-cache')).toBe('hit');
    // Before the fix: { stop_reason: 'end_turn', stop_sequence: null }: the client could not tell
    // which of its stop sequences ended the answer, nor that one did.
    expect({ stop_reason: hit.data.stop_reason, stop_sequence: hit.data.stop_sequence }).toEqual({ stop_reason: 'stop_sequence', stop_sequence: '###' });

    // The same entry streamed (a whole answer cut into chunks).
    const streamed = await client.messages.create({ ...params, stream: true }).withResponse();
    expect(streamed.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(await streamedStop(streamed.data)).toEqual({ stop_reason: 'stop_sequence', stop_sequence: '###' });
  });

  it('keeps them on a hit of a streamed Anthropic answer, streamed and whole', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
    upstream.enqueue({ stream: { chunks: stoppedBySequenceEvents('Step 1: close the lid.\n'), done: false } });
    const params = { model: 'claude/claude-test', max_tokens: 200, stop_sequences: ['---', '###'], messages: [{ role: 'user' as const, content: 'List the steps again, one per line.' }] };
    const miss = await client.messages.create({ ...params, stream: true }).withResponse();
    expect(miss.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(await streamedStop(miss.data)).toEqual({ stop_reason: 'stop_sequence', stop_sequence: '###' });

    const streamed = await client.messages.create({ ...params, stream: true }).withResponse();
    expect(streamed.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(await streamedStop(streamed.data)).toEqual({ stop_reason: 'stop_sequence', stop_sequence: '###' });

    const whole = await client.messages.create(params).withResponse();
    expect(whole.response.headers.get('x-gateway-cache')).toBe('hit');
    expect({ stop_reason: whole.data.stop_reason, stop_sequence: whole.data.stop_sequence }).toEqual({ stop_reason: 'stop_sequence', stop_sequence: '###' });
  });

  const blob = 'gAAAAABo-openai-signed-reasoning-blob';
  const reasoningOf = (r: OpenAI.Responses.Response) => r.output.find((item) => item.type === 'reasoning') as { id?: string; encrypted_content?: string | null } | undefined;

  it("keeps OpenAI's encrypted reasoning on a Responses hit (store: false, include reasoning.encrypted_content)", async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client', maxRetries: 0 });
    upstream.enqueue({
      body: {
        id: 'resp_up_1',
        object: 'response',
        created_at: 1700000000,
        status: 'completed',
        error: null,
        incomplete_details: null,
        model: 'gpt-5',
        output: [
          { id: 'rs_up_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Weighing it.' }], encrypted_content: blob },
          { id: 'msg_up_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Forty-two.', annotations: [] }] },
        ],
        parallel_tool_calls: true,
        tool_choice: 'auto',
        tools: [],
        usage: { input_tokens: 9, input_tokens_details: { cached_tokens: 0 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 25 }, total_tokens: 39 },
      },
    });
    const params = { model: 'openai/gpt-5', input: 'What is the answer?', store: false, include: ['reasoning.encrypted_content' as const] };
    const miss = await client.responses.create(params).withResponse();
    expect(miss.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(reasoningOf(miss.data)?.encrypted_content).toBe(blob);

    const hit = await client.responses.create(params).withResponse();
    expect(hit.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(hit.data.output_text).toBe('Forty-two.');
    // Before the fix: the reasoning item was rebuilt from the chat view, without OpenAI's
    // encrypted_content: a stateless client (Codex, store: false) sends it back next turn and
    // OpenAI cannot use it.
    expect(reasoningOf(hit.data)?.encrypted_content).toBe(blob);
    expect(reasoningOf(hit.data)?.id).toBe('rs_up_1');

    // The same entry streamed (a whole answer cut into chunks).
    const streamed = await streamedResponse(client, params);
    expect(streamed.cache).toBe('hit');
    expect(streamed.done).toMatchObject({ id: 'rs_up_1', type: 'reasoning', encrypted_content: blob, summary: [{ type: 'summary_text', text: 'Weighing it.' }] });
    expect(streamed.addedId).toBe('rs_up_1');
    expect(reasoningOf(streamed.final!)?.encrypted_content).toBe(blob);
    expect(textOf(streamed.final)).toBe('Forty-two.');
  });

  it("keeps OpenAI's encrypted reasoning on a hit of a streamed Responses answer, streamed and whole", async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client', maxRetries: 0 });
    // OpenAI's events, its reasoning item done (and in the completed response) with encrypted_content.
    const events = responsesStreamEvents([{ reasoning: 'Counting.' }, { text: 'Seven.' }], { id: 'resp_up_2', usage: { input_tokens: 9, output_tokens: 30, reasoning_tokens: 25 } }).map((event) => {
      const data = JSON.parse(event.slice(event.indexOf('data: ') + 6)) as Record<string, any>;
      if (data.type === 'response.output_item.done' && data.item.type === 'reasoning') data.item.encrypted_content = blob;
      for (const item of data.response?.output ?? []) if (item.type === 'reasoning') item.encrypted_content = blob;
      return responsesSseEvent(data);
    });
    upstream.enqueue({ stream: { chunks: events, done: false } });
    const params = { model: 'openai/gpt-5', input: 'How many days in a week?', store: false, include: ['reasoning.encrypted_content' as const] };
    const miss = await streamedResponse(client, params);
    expect(miss.cache).toBe('miss');
    expect(miss.done).toMatchObject({ id: 'rs_mock_0', encrypted_content: blob });

    const streamed = await streamedResponse(client, params);
    expect(streamed.cache).toBe('hit');
    expect(streamed.addedId).toBe('rs_mock_0');
    expect(streamed.done).toMatchObject({ id: 'rs_mock_0', type: 'reasoning', encrypted_content: blob, summary: [{ type: 'summary_text', text: 'Counting.' }] });
    expect(reasoningOf(streamed.final!)?.encrypted_content).toBe(blob);
    expect(textOf(streamed.final)).toBe('Seven.');

    const whole = await client.responses.create(params).withResponse();
    expect(whole.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(whole.data.output_text).toBe('Seven.');
    expect(reasoningOf(whole.data)).toMatchObject({ id: 'rs_mock_0', encrypted_content: blob });
  });
});

/** The text of a response's message items (a streamed response has no `output_text`). */
function textOf(response: OpenAI.Responses.Response | undefined): string {
  return (response?.output ?? []).flatMap((item) => (item.type === 'message' ? item.content : [])).map((part) => (part.type === 'output_text' ? part.text : '')).join('');
}

/** A streamed response: its cache header, its reasoning item as added (id) and done, and the final response. */
async function streamedResponse(client: OpenAI, params: OpenAI.Responses.ResponseCreateParamsNonStreaming): Promise<{ cache: string | null; addedId?: string; done?: Record<string, unknown>; final?: OpenAI.Responses.Response }> {
  const { data, response } = await client.responses.create({ ...params, stream: true }).withResponse();
  const out: { cache: string | null; addedId?: string; done?: Record<string, unknown>; final?: OpenAI.Responses.Response } = { cache: response.headers.get('x-gateway-cache') };
  for await (const event of data) {
    if (event.type === 'response.output_item.added' && event.item.type === 'reasoning') out.addedId = event.item.id;
    if (event.type === 'response.output_item.done' && event.item.type === 'reasoning') out.done = event.item as unknown as Record<string, unknown>;
    if (event.type === 'response.completed') out.final = event.response;
  }
  return out;
}

describe('a native stream the cache keeps on a miss', () => {
  // The cache reads the miss as it passes (a tap) and changes nothing: the client gets the
  // upstream's own events, as without the cache. Before its fix, the cache recorded with a generator
  // of its own, and since a stream a plugin maps is translated from the OpenAI view (a plugin may
  // have changed its chunks), every miss lost the upstream's own events.
  it("is the upstream's own events for an Anthropic client", async () => {
    upstream.enqueue({ stream: { chunks: anthropicStreamEvents([{ text: 'kept as it came' }]), done: false } });
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'client', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude/claude-x', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'a miss, streamed natively' }] }),
    });
    expect(res.headers.get('x-gateway-cache')).toBe('miss');
    const wire = await res.text();
    expect(wire).toContain('event: ping'); // the upstream's own, which a translation does not write
    expect(wire).toContain('"text":"came"');
  });
});
