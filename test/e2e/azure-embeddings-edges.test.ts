/**
 * Azure's asynchronous-filter streams (choices with no delta) through the cache and the text
 * completions writer, which failed on them with an internal error; and embeddings asked for as
 * base64 (the openai SDK's default) from a host that answers floats, which the SDK decoded into
 * garbage. Each failed before its fix; the pass-through cases guard what already worked.
 * Official `openai` client → gateway → mock upstreams, over real sockets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

/**
 * Azure's "Asynchronous Filter" stream, exactly as Azure documents it
 * (https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-streaming, "Annotation
 * message" and "Sample response stream (passes filters)"): a prompt annotation with empty `choices`
 * first, tokens, then annotation messages whose choice has NO `delta` at all (only
 * `content_filter_results` / `content_filter_offsets`), one of them after the `finish_reason: stop` chunk.
 */
const filterOk = { hate: { filtered: false, severity: 'safe' }, self_harm: { filtered: false, severity: 'safe' }, sexual: { filtered: false, severity: 'safe' }, violence: { filtered: false, severity: 'safe' } };
const promptAnnotation = { id: '', object: '', created: 0, model: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: filterOk }], choices: [], usage: null };
const token = (delta: Record<string, unknown>, finish: string | null = null) => ({ id: 'chatcmpl-7rCNs', object: 'chat.completion.chunk', created: 1692913344, model: 'gpt-35-turbo', choices: [{ index: 0, finish_reason: finish, delta }], usage: null });
const annotation = (offset: number) => ({ id: '', object: '', created: 0, model: '', choices: [{ index: 0, finish_reason: null, content_filter_results: filterOk, content_filter_offsets: { check_offset: offset, start_offset: 44, end_offset: 198 } }], usage: null });
const asyncFilterStream = () => [promptAnnotation, token({ role: 'assistant' }), token({ content: 'Color' }), token({ content: ' is' }), annotation(44), token({}, 'stop'), annotation(506)];

let upstream: MockUpstream;
let ollama: Server;
let ollamaURL: string;
let gw: RunningGateway;
let cached: RunningGateway;
let client: OpenAI;
let cachedClient: OpenAI;

/** A vector exactly representable as float32, so a base64 round trip is exact. */
const VECTOR = [0.5, -1.25, 2, 0.125];

beforeAll(async () => {
  upstream = await startMockUpstream();
  // An OpenAI-compatible embeddings host that ignores `encoding_format` and always answers floats,
  // as Ollama and LM Studio do (openai/openai-node#1542, #2150: "Some OpenAI-compatible endpoints
  // like ollama and LM Studio ignore the encoding_format parameter and always return embeddings as
  // float arrays"); the gateway's openai-compatible type and its `ollama`/`lmstudio` presets serve them.
  ollama = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as { model?: string; input: string | string[] };
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ object: 'list', data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: VECTOR })), model: body.model, usage: { prompt_tokens: 3, total_tokens: 3 } }),
      );
    });
  });
  await new Promise<void>((resolve) => ollama.listen(0, '127.0.0.1', resolve));
  ollamaURL = `http://127.0.0.1:${(ollama.address() as AddressInfo).port}/v1`;

  const providers = {
    azure: { type: 'azure-openai', endpoint: `http://127.0.0.1:${upstream.port}`, apiKey: 'az-key', models: ['gpt-35-turbo'] },
    ollama: { type: 'openai-compatible', baseURL: ollamaURL, listModels: false },
  };
  gw = await startGateway({ providers });
  cached = await startGateway({ providers, plugins: [cache()] });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
  cachedClient = new OpenAI({ baseURL: cached.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await cached?.close();
  await upstream?.close();
  await new Promise<void>((resolve) => (ollama ? ollama.close(() => resolve()) : resolve()));
});
beforeEach(() => upstream.reset());

describe('Azure content-filter annotation chunks (choices without delta)', () => {
  // Sanity: without plugins the documented stream goes through (this passes today).
  it('streams an Azure asynchronous-filter answer to an OpenAI client without plugins', async () => {
    upstream.enqueue({ stream: { chunks: asyncFilterStream() } });
    const stream = await client.chat.completions.create({ model: 'azure/gpt-35-turbo', stream: true, messages: [{ role: 'user', content: 'What is color?' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Color is');
  });

  // BUG: plugins/cache/entry.ts assemble() does `const { delta } = choice; delta.content` and
  // throws a TypeError on Azure's documented annotation choice, which has no `delta`. The client
  // gets an `internal_error` event in place of `[DONE]` (its whole answer looks failed) and the
  // answer is not cached. Expected: the stream ends normally, as it does without the cache.
  it('with the response cache on, an Azure asynchronous-filter stream ends normally', async () => {
    upstream.enqueue({ stream: { chunks: asyncFilterStream() } });
    const stream = await cachedClient.chat.completions.create({ model: 'azure/gpt-35-turbo', stream: true, messages: [{ role: 'user', content: 'What is color? (cache)' }] });
    let text = '';
    const read = (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    })();
    await expect(read).resolves.toBeUndefined();
    expect(text).toBe('Color is');
  });

  // BUG: /v1/completions to an Azure deployment is answered through chat (Azure declares no native
  // text completions), and plugins/openai/api/text-completion-writer.ts:41 reads
  // `choice.delta.content` on a choice that has no delta: the stream ends with an internal_error
  // event instead of the finish chunk and `[DONE]`. Expected: the annotation adds no text and the
  // stream ends with finish_reason "stop" (OpenAI text completion chunks, openai-node
  // src/resources/completions.ts).
  it('a streamed /v1/completions request answered by an Azure deployment survives annotation chunks', async () => {
    upstream.enqueue({ stream: { chunks: asyncFilterStream() } });
    const stream = await client.completions.create({ model: 'azure/gpt-35-turbo', prompt: 'What is color?', stream: true });
    let text = '';
    let finish: string | null = null;
    const read = (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.text ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
    })();
    await expect(read).resolves.toBeUndefined();
    expect(text).toBe('Color is');
    expect(finish).toBe('stop');
  });
});

describe('/v1/embeddings: encoding_format', () => {
  // BUG: the official openai SDK (openai-node src/resources/embeddings.ts) sends
  // `encoding_format: 'base64'` when the caller sets none, and then decodes every `embedding` with
  // toFloat32Array(), i.e. as a base64 string of little-endian float32s. The OpenAI API reference
  // (https://platform.openai.com/docs/api-reference/embeddings/create) says base64 is what comes
  // back for that request. plugins/openai/embeddings.ts passes an OpenAI-compatible host's answer
  // through as it came, so a host that ignores encoding_format (Ollama, LM Studio) returns a float
  // array, which the SDK silently turns into garbage (Buffer.from(array) → bytes → a quarter of the
  // dimensions). The gemini adapter already encodes base64 for such a request (gemini.ts toBase64);
  // the OpenAI-format path should too when the upstream answered floats. Expected: the SDK decodes
  // exactly the host's vector.
  it('gives the openai SDK (default base64) the vector of a host that answers floats', async () => {
    const result = await client.embeddings.create({ model: 'ollama/nomic-embed-text', input: 'hello' });
    expect(result.data[0]?.embedding).toEqual(VECTOR);
  });

  it('answers a base64 string when encoding_format: base64 is asked explicitly', async () => {
    const res = await fetch(`${gw.baseURL}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'ollama/nomic-embed-text', input: ['a', 'b'], encoding_format: 'base64' }) });
    const body = (await res.json()) as { data: Array<{ embedding: unknown }> };
    expect(res.status).toBe(200);
    for (const item of body.data) {
      expect(typeof item.embedding).toBe('string');
      const bytes = Buffer.from(item.embedding as string, 'base64');
      expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4))).toEqual(VECTOR);
    }
  });

  // Sanity: a caller asking for floats still gets floats (passes today).
  it('passes floats through when floats are asked for', async () => {
    const result = await client.embeddings.create({ model: 'ollama/nomic-embed-text', input: 'hello', encoding_format: 'float' });
    expect(result.data[0]?.embedding).toEqual(VECTOR);
  });
});
