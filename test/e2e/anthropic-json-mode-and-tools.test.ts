/**
 * `/v1/chat/completions` (the official `openai` client) translated to an `anthropic` provider:
 * strict schemas and JSON mode beside the client's own tools.
 *
 * - A function's `strict: true` reaches Anthropic as the tool's `strict: true`, and a strict
 *   `response_format` json_schema makes the answer tool (`json_response`) strict. Before its fix,
 *   both were dropped: the client's guarantee that the arguments / the answer match the schema
 *   silently became a best effort.
 * - With `response_format` and the client's tools offered, Claude may call a client tool and the
 *   answer tool in one turn; the answer's `finish_reason` is then `tool_calls`, whole and streamed,
 *   as OpenAI answers whenever the model called a tool (agent loops run the calls only on it).
 *   Before its fix, the answer tool turned the finish reason into `stop`, and the client's call was
 *   never run.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessage, anthropicStreamEvents } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let openai: OpenAI;
const sentBodies = () => upstream.requests.filter((r) => r.path === '/v1/messages').map((r) => r.body as Record<string, unknown>);

const schema = { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'], additionalProperties: false };

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false } } });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

describe('strict schemas reach Anthropic as strict', () => {
  // OpenAI: `function.strict: true` and `response_format.json_schema.strict: true` guarantee the
  // arguments / the answer match the schema (Structured Outputs). Anthropic offers the same
  // guarantee on a tool: `strict: true` ("When true, guarantees schema validation on tool names and
  // inputs", @anthropic-ai/sdk Tool.strict; https://platform.claude.com/docs/en/build-with-claude/structured-outputs,
  // "strict tool use"). Dropped, the client's guarantee silently becomes a best effort.
  it("keeps a function tool's strict: true", async () => {
    await openai.chat.completions.create({
      model: 'claude/claude-test',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', strict: true, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } } }],
    });
    const tools = sentBodies()[0]?.tools as Array<Record<string, unknown>>;
    expect(tools[0]).toMatchObject({ name: 'get_weather', strict: true });
  });

  it('makes the answer tool of a strict json_schema strict', async () => {
    upstream.enqueue({ body: anthropicMessage([{ toolUse: { id: 'toolu_9', name: 'json_response', input: { answer: 4 } } }]) });
    const answer = await openai.chat.completions.create({
      model: 'claude/claude-test',
      messages: [{ role: 'user', content: '2+2?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'sum', strict: true, schema } },
    });
    expect(JSON.parse(answer.choices[0]?.message.content ?? '')).toEqual({ answer: 4 });
    const tools = sentBodies()[0]?.tools as Array<Record<string, unknown>>;
    expect(tools.find((t) => t.name === 'json_response')).toMatchObject({ input_schema: schema, strict: true });
  });
});

describe('JSON mode beside the client\'s own tools', () => {
  // With response_format and the client's tools offered, the gateway sends tool_choice `any`
  // (one of the client's tools, or the answer tool), with parallel tool use allowed: Claude may call
  // a client tool and the answer tool in one turn (Anthropic: "Claude may use multiple tools in
  // parallel ... all tool_use blocks in a single assistant message"). OpenAI's finish_reason is
  // `tool_calls` whenever "the model called a tool" (Chat Completions reference, choices.finish_reason):
  // a client (the openai SDK's runTools, every agent loop) runs the calls only on `tool_calls`.
  const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
  const format = { type: 'json_schema' as const, json_schema: { name: 'a', schema } };

  it('answers finish_reason tool_calls when a client tool was called, whole', async () => {
    upstream.enqueue({
      body: anthropicMessage([
        { toolUse: { id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } } },
        { toolUse: { id: 'toolu_2', name: 'json_response', input: { answer: 1 } } },
      ]),
    });
    const answer = await openai.chat.completions.create({ model: 'claude/claude-test', messages: [{ role: 'user', content: 'weather?' }], tools, response_format: format });
    expect(sentBodies()[0]?.tool_choice).toEqual({ type: 'any' });
    expect(answer.choices[0]?.message.tool_calls?.map((c) => (c.type === 'function' ? c.function.name : c.type))).toEqual(['get_weather']);
    expect(answer.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('answers finish_reason tool_calls when a client tool was called, streamed', async () => {
    upstream.enqueue({
      stream: {
        chunks: anthropicStreamEvents([
          { toolUse: { id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } } },
          { toolUse: { id: 'toolu_2', name: 'json_response', input: { answer: 1 } } },
        ]),
        done: false,
      },
    });
    const stream = await openai.chat.completions.create({ model: 'claude/claude-test', messages: [{ role: 'user', content: 'weather?' }], tools, response_format: format, stream: true });
    let finish: string | null | undefined;
    const names: string[] = [];
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) if (call.function?.name) names.push(call.function.name);
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(names).toEqual(['get_weather']);
    expect(finish).toBe('tool_calls');
  });
});
