/**
 * Compaction through the Responses API (plugins/responses/protocol/compaction.ts): a client whose
 * context fills up ends its input with `{type: 'compaction_trigger'}` and must get back exactly one
 * `compaction` item (Codex CLI with OpenAI as its provider fails its turn otherwise). OpenAI does it
 * itself; for any other provider the gateway asks the model for a summary and carries it in the
 * item, and reads it back on later turns. Before this, a trigger to any provider but OpenAI was a
 * 400 ("an item of type 'compaction_trigger' is only understood by OpenAI's Responses API"), and
 * Codex's run failed. Mock upstreams over real sockets, the official `openai` client and raw fetch.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { postResponsesStream } from '../support/responses-stream.js';
import { chunk, completion, startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
      claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false },
      openai: { type: 'openai', apiKey: 'sk-openai', baseURL: upstream.baseURL, listModels: false },
    },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const shell = { type: 'function', name: 'shell', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } };
/** A tool loop, then the trigger: what Codex sends when its context is full. */
const conversation = [
  { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list the files' }] },
  { type: 'function_call', call_id: 'call_1', name: 'shell', arguments: '{"cmd":"ls"}' },
  { type: 'function_call_output', call_id: 'call_1', output: 'a.txt b.txt' },
  { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'There are two files.' }] },
];
const trigger = { type: 'compaction_trigger' };

type Item = { type: string; id?: string; encrypted_content?: string; role?: string; content?: unknown };
type ChatBody = { messages: Array<{ role: string; content: unknown }>; tools?: unknown[]; tool_choice?: unknown; stream?: boolean };

async function compactOnChat(summary = 'The user listed the files: a.txt and b.txt.'): Promise<Item> {
  upstream.enqueue({ body: completion({ content: summary }) });
  const response = await client.responses.create({ model: 'chat/mock-small', input: [...conversation, trigger] as never, tools: [shell] as never, store: false });
  return response.output[0] as unknown as Item;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return Array.isArray(content) ? content.map((part: { text?: string }) => part.text ?? '').join('') : '';
}

const postStream = (body: Record<string, unknown>) => postResponsesStream(gw.baseURL, { stream: true, ...body });

describe('a compaction_trigger to a chat provider', () => {
  it('is answered with exactly one compaction item, the model asked for a summary and no tool call', async () => {
    const item = await compactOnChat();
    expect(item).toMatchObject({ type: 'compaction', id: expect.stringMatching(/^cmp_/), encrypted_content: expect.any(String) });

    const sent = upstream.requests[0]!.body as ChatBody;
    // The conversation, then the request for a summary in the trigger's place.
    expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'user']);
    expect(textOf(sent.messages.at(-1)!.content)).toMatch(/^Context checkpoint/);
    // Declared, so that a provider that checks its history's tool calls accepts them; none may be called.
    expect(sent.tools).toHaveLength(1);
    expect(sent.tool_choice).toBe('none');
  });

  it('streams nothing of the summary: created, in progress, the item added and done, completed', async () => {
    upstream.enqueue({ stream: { chunks: wordChunks('two files, a and b', { usage: true }) } });
    const { res, events } = await postStream({ model: 'chat/mock-small', input: [...conversation, trigger], tools: [shell], store: false });
    expect(res.status).toBe(200);
    expect(events.map((e) => e.event)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.output_item.done', 'response.completed']);
    expect(events.map((e) => e.data.sequence_number)).toEqual([0, 1, 2, 3, 4]);
    const done = events[3]!.data.item as Item;
    expect(done).toMatchObject({ type: 'compaction', id: expect.stringMatching(/^cmp_/) });
    const completed = events[4]!.data.response as { status: string; output: Item[]; usage: { output_tokens: number } | null };
    expect(completed.status).toBe('completed');
    expect(completed.output).toEqual([done]);
    expect(completed.usage?.output_tokens).toBeGreaterThan(0);
  });

  it('reaches an Anthropic model with its tools declared and tool_choice none', async () => {
    const response = await client.responses.create({ model: 'claude/claude-test', input: [...conversation, trigger] as never, tools: [shell] as never, store: false });
    expect(response.output.map((item) => item.type)).toEqual(['compaction']);
    const sent = upstream.requests.find((r) => r.path.startsWith('/v1/messages'))!.body as { tools?: unknown[]; tool_choice?: unknown; messages: Array<{ role: string; content: unknown }> };
    expect(sent.tools).toHaveLength(1);
    expect(sent.tool_choice).toEqual({ type: 'none' });
    expect(JSON.stringify(sent.messages.at(-1))).toContain('Context checkpoint');
  });

  it('fails plainly when the model writes no summary', async () => {
    upstream.enqueue({ body: completion({ content: null, toolCalls: [{ id: 'call_x', type: 'function', function: { name: 'shell', arguments: '{}' } }], finishReason: 'tool_calls' }) });
    const json = await fetch(`${gw.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'chat/mock-small', input: [...conversation, trigger], tools: [shell] }) });
    expect(json.status).toBe(502);
    expect(((await json.json()) as { error: { code: string } }).error.code).toBe('compaction_failed');

    upstream.enqueue({ stream: { chunks: [chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_x', type: 'function', function: { name: 'shell', arguments: '{}' } }] }), chunk({}, 'tool_calls')] } });
    const { events } = await postStream({ model: 'chat/mock-small', input: [...conversation, trigger], tools: [shell] });
    expect(events.at(-1)?.event).toBe('response.failed');
    expect(events.some((e) => e.event === 'response.completed')).toBe(false);
  });
});

describe('a streamed compaction that fails', () => {
  // Before its fix (a review of the streamed compaction): the writer's events, not sent while
  // compacting, were still numbered, and its `fail` listed what it had opened. The client saw
  // sequence numbers 0, 1, then 6 or 7, and a failed response holding an assistant message or a
  // function_call that was never added (stream-writer.ts: each event "one above the last"; `fail`:
  // "what the client was already sent").
  it('mid-stream: response.failed is numbered on from in_progress and lists nothing unannounced', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: 'The user ' }),
          chunk({ content: 'listed' }),
          { error: { message: 'Rate limit reached during generation', type: 'rate_limit_error', code: 'rate_limit_exceeded' } },
        ],
      },
    });
    const { res, events } = await postStream({ model: 'chat/mock-small', input: [...conversation, trigger], tools: [shell], store: false });
    expect(res.status).toBe(200);
    expect(events.map((e) => e.event)).toEqual(['response.created', 'response.in_progress', 'response.failed']);
    expect(events.map((e) => e.data.sequence_number)).toEqual([0, 1, 2]);
    const failed = events.at(-1)!.data.response;
    expect(failed.id).toBe(events[0]!.data.response.id);
    expect(failed.error.code).toBe('rate_limit_exceeded');
    expect(failed.output).toEqual([]);
  });

  it('because the model called a tool: the same', async () => {
    upstream.enqueue({
      stream: { chunks: [chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_x', type: 'function', function: { name: 'shell', arguments: '{}' } }] }), chunk({}, 'tool_calls')] },
    });
    const { events } = await postStream({ model: 'chat/mock-small', input: [...conversation, trigger], tools: [shell], store: false });
    expect(events.map((e) => e.event)).toEqual(['response.created', 'response.in_progress', 'response.failed']);
    expect(events.map((e) => e.data.sequence_number)).toEqual([0, 1, 2]);
    expect(events.at(-1)!.data.response.output).toEqual([]);
  });
});

describe('the compaction item on later turns', () => {
  it('is read by a chat model as a user message holding the summary', async () => {
    const item = await compactOnChat('SUMMARY: two files, a.txt and b.txt.');
    upstream.reset();
    await client.responses.create({ model: 'chat/mock-small', input: [{ role: 'user', content: 'list the files' }, item, { role: 'user', content: 'now delete b.txt' }] as never, store: false });
    const sent = upstream.requests[0]!.body as ChatBody;
    expect(sent.messages.map((m) => m.role)).toEqual(['user', 'user', 'user']);
    expect(textOf(sent.messages[1]!.content)).toMatch(/^A summary of the conversation so far[^\n]*\n\nSUMMARY: two files, a\.txt and b\.txt\.$/);
  });

  it('reaches OpenAI as that message, in an input that is otherwise as the client wrote it', async () => {
    const item = await compactOnChat('SUMMARY: two files.');
    upstream.reset();
    await client.responses.create({ model: 'openai/gpt-mock', input: [{ role: 'user', content: 'list the files' }, item, { role: 'user', content: 'go on' }] as never, store: false });
    const seen = upstream.requests.find((r) => r.path === '/v1/responses')!.body as { input: Item[] };
    expect(seen.input.map((i) => i.type ?? 'message')).toEqual(['message', 'message', 'message']);
    expect(textOf(seen.input[1]!.content)).toContain('SUMMARY: two files.');
    expect(JSON.stringify(seen.input)).not.toContain('llm-gateway.compaction');
  });

  it('is a 400 for a chat model when it is OpenAI’s own, which only OpenAI can read', async () => {
    const res = await fetch(`${gw.baseURL}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat/mock-small', input: [{ role: 'user', content: 'hi' }, { type: 'compaction', encrypted_content: 'gAAAAB-opaque' }] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; message: string } };
    expect(body.error.param).toBe('input.1');
    expect(body.error.message).toContain('only be read by OpenAI');
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('a stored compaction continued by previous_response_id', () => {
  // The next turn is sent the compacted window, as OpenAI sends it: the user messages, the summary,
  // the new input. Not the tool loop the summary stands for again, nor the old trigger.
  it('goes on from the compacted window, on a chat model and on OpenAI', async () => {
    upstream.enqueue({ body: completion({ content: 'SUMMARY: two files.' }) });
    const compacted = await client.responses.create({ model: 'chat/mock-small', input: [...conversation, trigger] as never, tools: [shell] as never });
    upstream.reset();
    await client.responses.create({ model: 'chat/mock-small', previous_response_id: compacted.id, input: 'now delete b.txt' });
    const sent = upstream.requests[0]!.body as ChatBody;
    expect(sent.messages.map((m) => m.role)).toEqual(['user', 'user', 'user']);
    expect(textOf(sent.messages[0]!.content)).toBe('list the files');
    expect(textOf(sent.messages[1]!.content)).toContain('SUMMARY: two files.');
    expect(textOf(sent.messages[2]!.content)).toBe('now delete b.txt');

    upstream.reset();
    await client.responses.create({ model: 'openai/gpt-mock', previous_response_id: compacted.id, input: 'now delete b.txt' });
    const seen = upstream.requests.find((r) => r.path === '/v1/responses')!.body as { input: Item[]; previous_response_id?: string };
    expect(seen.input.some((i) => i.type === 'compaction_trigger' || i.type === 'compaction')).toBe(false);
    expect(JSON.stringify(seen.input)).toContain('SUMMARY: two files.');
  });
});

describe('a compaction_trigger to OpenAI', () => {
  it('goes up as written: OpenAI compacts it itself', async () => {
    await client.responses.create({ model: 'openai/gpt-mock', input: [...conversation, trigger] as never, tools: [shell] as never, store: false });
    const seen = upstream.requests.find((r) => r.path === '/v1/responses')!.body as { input: Item[] };
    expect(seen.input.at(-1)).toEqual(trigger);
    expect(upstream.requests.some((r) => r.path === '/v1/chat/completions')).toBe(false);
  });
});

describe('POST /v1/responses/compact', () => {
  // OpenAI's standalone compaction (`client.responses.compact`): "a list of all user messages,
  // followed by a single compaction item" (openai-node `CompactedResponse.output`). Before, the
  // gateway answered 405 ("This path does not accept that HTTP method").
  it('answers a chat model’s summary as the user messages and one compaction item', async () => {
    upstream.enqueue({ body: completion({ content: 'SUMMARY: two files.' }) });
    const compacted = await client.responses.compact({ model: 'chat/mock-small', input: conversation as never, instructions: 'be brief' });
    expect(compacted.object).toBe('response.compaction');
    expect(compacted.output.map((item) => item.type)).toEqual(['message', 'compaction']);
    expect(textOf((compacted.output[0] as unknown as Item).content)).toBe('list the files');
    expect(compacted.usage.output_tokens).toBeGreaterThan(0);

    const sent = upstream.requests[0]!.body as ChatBody;
    expect(sent.messages[0]).toEqual({ role: 'system', content: 'be brief' });
    expect(textOf(sent.messages.at(-1)!.content)).toMatch(/^Context checkpoint/);

    // The window it answers is what the client goes on with.
    upstream.reset();
    await client.responses.create({ model: 'chat/mock-small', input: [...compacted.output, { role: 'user', content: 'go on' }] as never, store: false });
    expect(JSON.stringify((upstream.requests[0]!.body as ChatBody).messages)).toContain('SUMMARY: two files.');
  });

  it('compacts a stored conversation named by previous_response_id', async () => {
    upstream.enqueue({ body: completion({ content: 'There are two files.' }) });
    const stored = await client.responses.create({ model: 'chat/mock-small', input: 'list the files' });
    upstream.enqueue({ body: completion({ content: 'SUMMARY: listed.' }) });
    const compacted = await client.responses.compact({ model: 'chat/mock-small', previous_response_id: stored.id });
    expect(compacted.output.map((item) => item.type)).toEqual(['message', 'compaction']);
    const sent = upstream.requests.at(-1)!.body as ChatBody;
    expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('asks OpenAI to compact it itself, and answers OpenAI’s item', async () => {
    const usage = { input_tokens: 40, input_tokens_details: { cached_tokens: 0 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 49 };
    upstream.enqueue({ body: { id: 'resp_openai', object: 'response', created_at: 1, status: 'completed', output: [{ type: 'compaction', id: 'cmp_openai', encrypted_content: 'gAAAA-opaque' }], usage } });
    const compacted = await client.responses.compact({ model: 'openai/gpt-mock', input: conversation as never });
    expect(compacted.output.at(-1)).toEqual({ type: 'compaction', id: 'cmp_openai', encrypted_content: 'gAAAA-opaque' });
    const seen = upstream.requests.find((r) => r.path === '/v1/responses')!.body as { input: Item[]; store?: boolean; stream?: boolean };
    expect(seen.input.at(-1)).toEqual(trigger);
    expect(seen).toMatchObject({ store: false, stream: false });
  });

  it('answers the retained messages without ids, which would name nothing to OpenAI', async () => {
    // Before its fix (a review): each retained message came back with an id the gateway made up
    // (`msg_…`, from the store's normalising), naming nothing since a compaction is not stored; sent
    // back to OpenAI, which looks items up by id, they went up with it.
    upstream.enqueue({ body: completion({ content: 'SUMMARY: two files.' }) });
    const compacted = await client.responses.compact({ model: 'chat/mock-small', input: [{ role: 'user', content: 'list the files' }, { role: 'assistant', content: 'There are two files.' }] as never });
    expect(compacted.output.map((item) => item.type)).toEqual(['message', 'compaction']);
    upstream.reset();
    await client.responses.create({ model: 'openai/gpt-mock', input: [...compacted.output, { role: 'user', content: 'go on' }] as never, store: false });
    const seen = upstream.requests.find((r) => r.path === '/v1/responses')!.body as { input: Array<{ id?: string }> };
    expect(seen.input.map((item) => item.id)).toEqual([undefined, undefined, undefined]);
  });

  it('is a 400 with nothing to compact, and a 502 when the model writes no summary', async () => {
    await expect(client.responses.compact({ model: 'chat/mock-small', input: [] })).rejects.toMatchObject({ status: 400 });
    upstream.enqueue({ body: completion({ content: '' }) });
    await expect(client.responses.compact({ model: 'chat/mock-small', input: 'hi' })).rejects.toMatchObject({ status: 502, code: 'compaction_failed' });
  });
});
