/**
 * Claude Code / Cline (Anthropic Messages, `@anthropic-ai/sdk`) driving an OpenAI-format host
 * (DeepSeek, OpenRouter, Groq, Ollama) through the gateway, over the turns of an agent loop.
 * A mock upstream and the gateway on real sockets.
 * Each case failed before its fix (an agent-chain review found them), as its comment says.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, completion, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let anthropic: Anthropic;
const chats = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions');

const tools: Anthropic.Tool[] = [
  { name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } },
  { name: 'Bash', description: 'Run a command', input_schema: { type: 'object', properties: { command: { type: 'string' } } } },
];

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { oai: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } } });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

describe('stop_reason of a turn that called tools', () => {
  // Anthropic (https://docs.claude.com/en/api/messages, stop_reason): "tool_use: the model invoked
  // one or more tools", and https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use:
  // "When Claude decides to use one of the tools ..., it will return a response with a stop_reason
  // of tool_use". Agents loop on it (Cline and the SDK's tool runner continue only on tool_use).
  // OpenAI itself answers a call forced by a named tool_choice with finish_reason "stop"
  // (Claude Code forces tools this way: tool_choice {type:'tool'}), and so do several
  // OpenAI-compatible servers (older Ollama, vLLM/SGLang parsers, MLX, OVMS). The Gemini adapter
  // already derives `tool_calls` from the calls themselves (plugins/gemini/from-gemini.ts
  // finishReasonFromGemini); the OpenAI-format path maps "stop" blindly to end_turn
  // (plugins/anthropic/protocol/mapping.ts stopReasonFromOpenAI), so the agent sees a tool_use
  // block in a turn that says it ended and stops the loop.
  it('is tool_use for a whole answer whose finish_reason says stop', async () => {
    upstream.enqueue({
      body: completion({ content: null, finishReason: 'stop', toolCalls: [{ id: 'call_1', type: 'function', function: { name: 'Read', arguments: '{"file_path":"a.ts"}' } }] }),
    });
    const message = await anthropic.messages.create({ model: 'oai/m', max_tokens: 100, tools, tool_choice: { type: 'tool', name: 'Read' }, messages: [{ role: 'user', content: 'read a.ts' }] });
    expect(message.content).toEqual([{ type: 'tool_use', id: 'call_1', name: 'Read', input: { file_path: 'a.ts' } }]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('is tool_use for a streamed answer whose finish_reason says stop', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'Read', arguments: '' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '{"file_path":"a.ts"}' } }] }),
          chunk({}, 'stop'),
        ],
      },
    });
    const final = await anthropic.messages.stream({ model: 'oai/m', max_tokens: 100, tools, tool_choice: { type: 'tool', name: 'Read' }, messages: [{ role: 'user', content: 'read a.ts' }] }).finalMessage();
    expect(final.content).toEqual([{ type: 'tool_use', id: 'call_1', name: 'Read', input: { file_path: 'a.ts' } }]);
    expect(final.stop_reason).toBe('tool_use');
  });
});

describe('a failed tool whose result has several content blocks (is_error)', () => {
  // Claude Code and MCP tools answer with a tool_result whose `content` is a list of text blocks
  // (Anthropic ToolResultBlockParam.content: string | Array<TextBlockParam | ImageBlockParam | ...>,
  // https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use#handling-tool-use-and-tool-result-content-blocks),
  // `is_error: true` when the tool failed. OpenAI's `tool` message takes a string or a list of
  // text parts (ChatCompletionToolMessageParam); the model must read the tool's words. The
  // translator marks errors by prefixing the text, but a result of several blocks is first turned
  // into OpenAI parts and then JSON.stringify'd (plugins/anthropic/protocol/to-openai-request.ts
  // toolMessage, `[tool error] ${JSON.stringify(content)}`): the model is sent the gateway's own
  // part markup, `[{"type":"text","text":...}]`, instead of the error text.
  it('sends the error text, not JSON of OpenAI content parts', async () => {
    await anthropic.messages.create({
      model: 'oai/m',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'run the tests' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'npm test' } }] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1',
              is_error: true,
              content: [
                { type: 'text', text: 'Exit code 1' },
                { type: 'text', text: 'FAIL src/a.test.ts' },
              ],
            },
          ],
        },
      ],
    });
    const tool = (chats()[0]?.body?.messages as Array<{ role: string; content: unknown }>).find((m) => m.role === 'tool')!;
    const text = typeof tool.content === 'string' ? tool.content : (tool.content as Array<{ type: string; text: string }>).map((p) => p.text).join('\n');
    expect(text).toContain('Exit code 1');
    expect(text).toContain('FAIL src/a.test.ts');
    expect(text).not.toContain('"type":"text"');
  });
});
