/**
 * The Anthropic provider adapter (plugins/anthropic/) where it broke what Anthropic's and OpenAI's
 * documents say: JSON mode (response_format) cut by max_tokens, forced while thinking, or hiding the
 * client's tools; a streamed call without input; the configured betas beside a client's own; zero
 * penalties. Each case failed before its fix (its "Cause:" is what the code did). A mock upstream
 * and the gateway on real sockets; the official `openai` and `@anthropic-ai/sdk` packages as clients.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessage, sseEvent } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let anthropic: Anthropic;
let openai: OpenAI;
const sentMessages = () => upstream.requests.filter((r) => r.path.startsWith('/v1/messages') && !r.path.includes('count_tokens'));

const CONFIGURED_BETA = 'context-1m-2025-08-07';

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false },
      // The provider option `beta`: "Beta features to enable on every request (`anthropic-beta`)".
      claudedrop: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false, unsupportedParams: 'drop' },
      claudebeta: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false, beta: [CONFIGURED_BETA] },
    },
  });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const messageStart = (usage = { input_tokens: 5, output_tokens: 1 }) =>
  sseEvent({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', content: [], stop_reason: null, stop_sequence: null, usage } });

describe('JSON mode (response_format → forced json_response tool)', () => {
  // OpenAI API reference, chat completion `finish_reason`: "`length` if the maximum number of tokens
  // specified in the request was reached". Anthropic (https://docs.claude.com/en/docs/agents-and-tools/
  // tool-use/implement-tool-use, "Handling the max_tokens stop reason"): a response cut by max_tokens may
  // hold an incomplete tool_use block. The JSON answer handed back as content is then truncated, and
  // the client must hear `length`, not `stop` (which says the JSON is complete).
  // Cause: plugins/anthropic/protocol/to-openai-response.ts forces 'stop' whenever the JSON tool
  // answered (toOpenAICompletion `answeredByJsonTool ? 'stop'`, and `this.jsonBlock !== undefined ? 'stop'`
  // in the stream translator's message_delta), whatever the stop_reason was.
  it('streams a JSON answer cut by max_tokens with finish_reason length, not stop', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          messageStart(),
          sseEvent({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'json_response', input: {} } }),
          sseEvent({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"answer": "the beginning of a lo' } }),
          sseEvent({ type: 'content_block_stop', index: 0 }),
          sseEvent({ type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 10 } }),
          sseEvent({ type: 'message_stop' }),
        ],
        done: false,
      },
    });
    const stream = await openai.chat.completions.create({
      model: 'claude/claude-test',
      stream: true,
      max_tokens: 10,
      response_format: { type: 'json_object' },
      messages: [{ role: 'user', content: 'answer in JSON' }],
    });
    let content = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(content).toBe('{"answer": "the beginning of a lo');
    expect(finish).toBe('length');
  });

  it('answers a whole JSON answer cut by max_tokens with finish_reason length, not stop', async () => {
    upstream.enqueue({ body: anthropicMessage([{ toolUse: { id: 'toolu_1', name: 'json_response', input: {} } }], { stopReason: 'max_tokens' }) });
    const answer = await openai.chat.completions.create({
      model: 'claude/claude-test',
      max_tokens: 10,
      response_format: { type: 'json_object' },
      messages: [{ role: 'user', content: 'answer in JSON' }],
    });
    expect(answer.choices[0]?.finish_reason).toBe('length');
  });

  // https://docs.claude.com/en/docs/build-with-claude/extended-thinking (feature compatibility / tool
  // use): "Tool use with thinking only supports tool_choice: {"type": "auto"} (the default) or
  // tool_choice: {"type": "none"}. Using tool_choice: {"type": "any"} or tool_choice: {"type": "tool",
  // "name": "..."} will result in an error" (Anthropic answers 400 "Thinking may not be enabled when
  // tool_choice forces tool use"). Both settings come from the gateway's own translation of a valid
  // OpenAI request (reasoning_effort + response_format), so that request can never succeed.
  // Cause: plugins/anthropic/protocol/from-openai-request.ts sets `thinking` for reasoning_effort and
  // `tool_choice: {type:'tool', name:'json_response'}` for response_format, independently.
  // Now the translation says so: a 400 naming reasoning_effort, as for every field the provider
  // cannot honour; a provider configured with `unsupportedParams: 'drop'` sends the request without
  // thinking, and the JSON answer is still forced.
  it('never sends thinking together with a tool_choice that forces the JSON tool', async () => {
    upstream.enqueue({ body: anthropicMessage([{ toolUse: { id: 'toolu_1', name: 'json_response', input: { ok: true } } }]) });
    const refused = await openai.chat.completions
      .create({ model: 'claude/claude-test', reasoning_effort: 'low', response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'JSON please' }] })
      .catch((error: unknown) => error as InstanceType<typeof OpenAI.APIError>);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((refused as InstanceType<typeof OpenAI.APIError>).message).toContain('reasoning_effort');
    expect(sentMessages()).toHaveLength(0);

    const answer = await openai.chat.completions.create({ model: 'claudedrop/claude-test', reasoning_effort: 'low', response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'JSON please' }] });
    expect(answer.choices[0]?.message.content).toBe('{"ok":true}');
    const body = sentMessages()[0]?.body as { thinking?: { type: string }; tool_choice?: { type: string } } | undefined;
    expect(body?.thinking).toBeUndefined();
    expect(body?.tool_choice).toEqual({ type: 'tool', name: 'json_response' });
  });

  // OpenAI API reference, `tool_choice`: "`required` means the model must call one or more tools."
  // With response_format added, the gateway replaces the client's explicit tool_choice by a forced
  // call of its own json_response tool, so the model can never call the tool the client required.
  // Cause: from-openai-request.ts `if (jsonTool) body.tool_choice = { type: 'tool', name: jsonTool }`
  // ignores the translated client choice.
  it("keeps the client's own tools callable when tool_choice is required and response_format is set", async () => {
    upstream.enqueue({ body: anthropicMessage([{ toolUse: { id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } } }]) });
    await openai.chat.completions.create({
      model: 'claude/claude-test',
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      tool_choice: 'required',
      response_format: { type: 'json_schema', json_schema: { name: 'report', schema: { type: 'object', properties: { summary: { type: 'string' } } } } },
      messages: [{ role: 'user', content: 'weather in Paris, then a report' }],
    });
    const body = sentMessages()[0]?.body as { tool_choice?: { type: string; name?: string } };
    expect(body.tool_choice).not.toEqual({ type: 'tool', name: 'json_response' });
  });

  // With the client's tools offered and tool_choice left to the model, the model may call them or
  // answer in the format: Anthropic is asked for any tool, the JSON tool among them. Before its fix
  // the JSON tool was always forced (the client's tools could never be called), and a body that
  // named `response_format` before `tools` lost the JSON tool, the client's list replacing it.
  it("offers the client's tools beside the JSON tool, whichever comes first in the body", async () => {
    upstream.enqueue({ body: anthropicMessage([{ toolUse: { id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } } }]) });
    const answer = await openai.chat.completions.create({
      model: 'claude/claude-test',
      response_format: { type: 'json_schema', json_schema: { name: 'report', schema: { type: 'object', properties: { summary: { type: 'string' } } } } },
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      messages: [{ role: 'user', content: 'weather in Paris, then a report' }],
    });
    const body = sentMessages()[0]?.body as { tools: Array<{ name: string }>; tool_choice?: { type: string; name?: string } };
    expect(body.tools.map((tool) => tool.name)).toEqual(['get_weather', 'json_response']);
    expect(body.tool_choice).toEqual({ type: 'any' });
    expect(answer.choices[0]?.message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    expect(answer.choices[0]?.finish_reason).toBe('tool_calls');
  });
});

describe('streamed tool calls, OpenAI client', () => {
  // A tool without parameters: Anthropic streams its tool_use block with `input: {}` and an empty
  // input_json_delta. The official Anthropic SDK reads an empty buffer as `{}`
  // (@anthropic-ai/sdk internal/message-stream-utils.js: `jsonBuf ? partialParse(jsonBuf) : {}`),
  // and the gateway's own non-streamed path gives `arguments: "{}"` (JSON.stringify(block.input)).
  // OpenAI's `function.arguments` is "the arguments to call the function with ... in JSON format";
  // "" is not JSON, and clients that JSON.parse the accumulated arguments fail.
  // Cause: to-openai-response.ts AnthropicStreamTranslator: content_block_start sends arguments ''
  // and input_json_delta passes partial_json through; nothing makes an empty input `{}`.
  it('gives a call with an empty input the arguments "{}", as the whole answer does', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'now', parameters: { type: 'object', properties: {} } } }];
    upstream.enqueue({
      stream: {
        chunks: [
          messageStart(),
          sseEvent({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'now', input: {} } }),
          sseEvent({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } }),
          sseEvent({ type: 'content_block_stop', index: 0 }),
          sseEvent({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 10 } }),
          sseEvent({ type: 'message_stop' }),
        ],
        done: false,
      },
    });
    const stream = await openai.chat.completions.create({ model: 'claude/claude-test', stream: true, tools, messages: [{ role: 'user', content: 'what time is it?' }] });
    let args = '';
    for await (const chunk of stream) for (const call of chunk.choices[0]?.delta.tool_calls ?? []) args += call.function?.arguments ?? '';

    upstream.enqueue({ body: anthropicMessage([{ toolUse: { id: 'toolu_1', name: 'now', input: {} } }]) });
    const whole = await openai.chat.completions.create({ model: 'claude/claude-test', tools, messages: [{ role: 'user', content: 'what time is it?' }] });
    const wholeArgs = whole.choices[0]?.message.tool_calls?.[0]?.type === 'function' ? whole.choices[0].message.tool_calls[0].function.arguments : undefined;
    expect(wholeArgs).toBe('{}');
    expect(() => JSON.parse(args)).not.toThrow();
    expect(args).toBe(wholeArgs);
  });
});

describe('anthropic-beta for native clients', () => {
  // The provider's `beta` option is documented (plugins/anthropic/provider/anthropic-type.ts) as
  // "Beta features to enable on every request (`anthropic-beta`)"; Anthropic's header takes several
  // betas, comma-separated (https://docs.claude.com/en/api/beta-headers). Claude Code sends its own
  // anthropic-beta on every request, and the client's header replaced the configured one, so the
  // provider's betas (here the 1M-token context) were silently lost.
  // Cause: provider/messages.ts jsonHeaders(streaming, settings.headers, input.headers, native headers):
  // the later `anthropic-beta` overwrites the earlier instead of being merged with it.
  it("sends the provider's configured betas together with the client's own", async () => {
    await anthropic.messages.create(
      { model: 'claudebeta/claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } },
    );
    const header = String(sentMessages()[0]?.headers['anthropic-beta'] ?? '');
    const betas = header.split(',').map((b) => b.trim());
    expect(betas).toContain('interleaved-thinking-2025-05-14');
    expect(betas).toContain(CONFIGURED_BETA);
  });

  it("counts tokens with the provider's configured betas as well as the client's", async () => {
    await anthropic.messages.countTokens({ model: 'claudebeta/claude-test', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } });
    const call = upstream.requests.find((r) => r.path.includes('count_tokens'));
    const betas = String(call?.headers['anthropic-beta'] ?? '').split(',').map((b) => b.trim());
    expect(betas).toContain(CONFIGURED_BETA);
    expect(betas).toContain('interleaved-thinking-2025-05-14');
  });
});

describe('OpenAI parameters at their no-op defaults', () => {
  // OpenAI API reference: frequency_penalty and presence_penalty "Defaults to 0"; sending 0 asks for
  // nothing, exactly as n=1 and logprobs=false, which the adapter already accepts ("passes n=1,
  // logprobs=false ... without complaint", test/plugins/anthropic/protocol/anthropic-requests.test.ts).
  // Clients that always send the defaults (LangChain's ChatOpenAI sends both penalties as 0) got a
  // 400 "claude does not support 'frequency_penalty'" from an Anthropic model.
  // Cause: from-openai-request.ts: penalties fall to `default: rejectUnsupported(...)` whatever their value.
  it('accepts frequency_penalty and presence_penalty of 0', async () => {
    const answer = await openai.chat.completions
      .create({ model: 'claude/claude-test', frequency_penalty: 0, presence_penalty: 0, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(answer).not.toBeInstanceOf(Error);
    expect(sentMessages()).toHaveLength(1);
  });
});
