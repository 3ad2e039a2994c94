/**
 * `/v1/messages` (the official @anthropic-ai/sdk) translated to an OpenAI-format upstream and to
 * Gemini: what the translation sends for structured outputs, strict tools, a tool choice whose
 * tools were all left out, and a PDF document.
 *
 * - Structured outputs (`output_config: { format: { type: 'json_schema', schema } }`, as the SDK's
 *   messages.parse() sends it, or the older top-level `output_format`) reach an OpenAI-format
 *   upstream as `response_format: { type: 'json_schema', json_schema: { name: 'output', schema,
 *   strict: true } }`, and Gemini as `responseMimeType: 'application/json'` + `responseJsonSchema`.
 *   Before its fix, both were dropped without a word: the answer came back unconstrained.
 * - A tool's `strict: true` stays the function's `strict: true`. Before its fix, it was dropped and
 *   the client's schema guarantee silently became a best effort.
 * - `tool_choice` and `parallel_tool_calls` go only with the tools that remain once server tools
 *   are left out; a `{ type: 'tool', name }` naming a tool left out goes too, named in
 *   `x-gateway-dropped`. Before its fix, they were sent with no tools, which OpenAI refuses with a
 *   400 ("'tool_choice' is only allowed when 'tools' are specified").
 * - A PDF sent inline is a `file` part named by the block's `title`, else `document.pdf`. Before its
 *   fix, it had no `filename`, which OpenAI refuses with a 400.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';

let upstream: MockUpstream;
let gemini: MockGemini;
let gw: RunningGateway;
let anthropic: Anthropic;
const chatBodies = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as Record<string, unknown>);
const geminiBodies = () => gemini.requests.filter((r) => r.path.includes(':generateContent') || r.path.includes(':streamGenerateContent')).map((r) => r.body as Record<string, unknown>);

const schema = { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'], additionalProperties: false };

beforeAll(async () => {
  upstream = await startMockUpstream();
  gemini = await startMockGemini();
  gw = await startGateway({
    providers: {
      oai: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
      gem: mockGeminiProvider(gemini),
    },
  });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await gemini?.close();
});
beforeEach(() => {
  upstream.reset();
  gemini.reset();
});

describe('structured outputs from an Anthropic client (output_config.format)', () => {
  // https://platform.claude.com/docs/en/build-with-claude/structured-outputs: `output_config:
  // { format: { type: 'json_schema', schema } }` constrains the answer to the schema (the SDK's
  // messages.parse() / zodOutputFormat() send it). OpenAI's equivalent is `response_format:
  // { type: 'json_schema', json_schema: { name, schema, strict } }`; Gemini's is
  // `generationConfig.responseMimeType: 'application/json'` + `responseJsonSchema`.
  it('reaches an OpenAI-format upstream as response_format json_schema', async () => {
    await anthropic.messages.create({
      model: 'oai/mock-small',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'what is 2+2?' }],
      output_config: { format: { type: 'json_schema', schema } },
    });
    const body = chatBodies()[0];
    expect(body?.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema } });
  });

  it('reaches Gemini as responseMimeType application/json with responseJsonSchema', async () => {
    await anthropic.messages.create({
      model: 'gem/gemini-mock-flash',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'what is 2+2?' }],
      output_config: { format: { type: 'json_schema', schema } },
    });
    const body = geminiBodies()[0];
    expect(body?.generationConfig).toMatchObject({ responseMimeType: 'application/json', responseJsonSchema: schema });
  });
});

describe('strict tools from an Anthropic client', () => {
  // Anthropic's Tool has `strict: true` ("guarantees schema validation on tool names and inputs",
  // @anthropic-ai/sdk resources/messages Tool.strict; structured-outputs docs, "strict tool use");
  // OpenAI's function tool has the same switch (`function.strict`, Chat Completions reference).
  it('keeps strict: true on the function sent to an OpenAI-format upstream', async () => {
    await anthropic.messages.create({
      model: 'oai/mock-small',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ name: 'get_weather', strict: true, input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } }],
    });
    const tools = chatBodies()[0]?.tools as Array<{ function: Record<string, unknown> }>;
    expect(tools[0]?.function.strict).toBe(true);
  });
});

describe('tool_choice when no function tool is left to offer', () => {
  // OpenAI refuses tool_choice without tools: 400 "Invalid value for 'tool_choice': 'tool_choice'
  // is only allowed when 'tools' are specified." (the same for parallel_tool_calls). A request
  // whose only tools are Anthropic server tools (left out for this provider, named in
  // x-gateway-dropped) must not carry a tool_choice that points at nothing.
  it('sends no tool_choice or parallel_tool_calls when every tool was a server tool left out', async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'oai/mock-small',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'search the web for cats' }],
        tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }],
        tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-dropped')).toBe('tools.0');
    const body = chatBodies()[0];
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('tool_choice');
    expect(body).not.toHaveProperty('parallel_tool_calls');
  });
});

describe('PDF documents to an OpenAI-format upstream', () => {
  // OpenAI's file content part for inline data: `{ type: 'file', file: { filename, file_data } }`
  // (https://platform.openai.com/docs/guides/pdf-files?api-mode=chat). Without `filename`, OpenAI
  // answers 400 "Missing required parameter: 'messages[1].content[1].file.file_id'"
  // (openai/openai-agents-python#1513, langchain-ai/langchainjs#9512). Anthropic's document block
  // has an optional `title`; Claude Code's Read of a PDF sends none.
  it('names the file it sends inline', async () => {
    await anthropic.messages.create({
      model: 'oai/mock-small',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' } },
            { type: 'text', text: 'summarise' },
          ],
        },
      ],
    });
    const messages = chatBodies()[0]?.messages as Array<{ role: string; content: Array<Record<string, unknown>> }>;
    const file = messages.at(-1)?.content.find((part) => part.type === 'file') as { file: Record<string, unknown> } | undefined;
    expect(file?.file.file_data).toBe('data:application/pdf;base64,JVBERi0xLjQK');
    expect(typeof file?.file.filename).toBe('string');
    expect(file?.file.filename).not.toBe('');
  });
});

describe('structured outputs, the older top-level output_format', () => {
  // The beta `output_format` (deprecated for output_config.format, same shape) asks the same.
  it('reaches an OpenAI-format upstream as a strict response_format json_schema', async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'oai/mock-small',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'what is 2+2?' }],
        output_format: { type: 'json_schema', schema },
      }),
    });
    expect(res.status).toBe(200);
    expect(chatBodies()[0]?.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema, strict: true } });
  });
});

describe('a tool choice naming a tool left out', () => {
  it('is left out too, and named in x-gateway-dropped', async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'oai/mock-small',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'search the web for cats' }],
        tools: [
          { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
          { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
        ],
        tool_choice: { type: 'tool', name: 'web_search' },
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-dropped')).toBe('tools.0,tool_choice');
    const body = chatBodies()[0];
    expect((body?.tools as Array<{ function: { name: string } }>).map((t) => t.function.name)).toEqual(['get_weather']);
    expect(body).not.toHaveProperty('tool_choice');
  });
});

describe('a titled PDF document to an OpenAI-format upstream', () => {
  it('is named by its title', async () => {
    await anthropic.messages.create({
      model: 'oai/mock-small',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', title: 'report.pdf', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' } },
            { type: 'text', text: 'summarise' },
          ],
        },
      ],
    });
    const messages = chatBodies()[0]?.messages as Array<{ role: string; content: Array<Record<string, unknown>> }>;
    const file = messages.at(-1)?.content.find((part) => part.type === 'file');
    expect(file).toEqual({ type: 'file', file: { filename: 'report.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQK' } });
  });
});
