/**
 * The OpenAI adapter against what the hosts behind the environment presets really send: Together's
 * model list (a bare array), OpenRouter's 200 error bodies and 403 moderation refusals, llama.cpp's
 * streamed errors (an `error:` field). Real sockets, the official openai client where a user would use it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersFromEnv } from '../../plugins/presets.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const event = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

describe('Together preset: model listing', () => {
  let server: Server;
  let gw: RunningGateway;

  beforeAll(async () => {
    // Together's GET /v1/models answers a bare JSON array of models, not OpenAI's {object, data}:
    // its SDKs type the answer as `ModelListResponse = List[ModelListResponseItem]`
    // (togethercomputer/together-py src/together/types/model_list_response.py) and the older SDK
    // asserts `isinstance(response.data, list)` on the whole body (together-python resources/models.py).
    server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify([{ id: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', object: 'model', created: 1733961600, type: 'chat', display_name: 'Llama 3.3 70B', organization: 'Meta', context_length: 131072 }]));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not found"}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    gw = await startGateway({ providers: providersFromEnv({ TOGETHER_API_KEY: 'tg-key', TOGETHER_BASE_URL: `http://127.0.0.1:${port}/v1` }) });
  });
  afterAll(async () => {
    await gw?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  // Promised: docs/providers.md, "model listing for /v1/models: ✓ GET /models" for
  // `openai-compatible`, and docs/configuration.md: `listModels` defaults to true and a bare model id
  // is served by "the first provider that lists it". The `together` preset (plugins/presets.ts)
  // keeps listModels on. What happens: plugins/openai/models.ts requires `body.data` to be an array,
  // so Together's listing is an error ("the model list has no data array"): /v1/models shows none of
  // its models and `/ready` reports the provider's listing as failed.
  it("lists Together's models in /v1/models although Together answers with a bare array", async () => {
    const deadline = Date.now() + 5_000;
    while ((await fetch(`${gw.url}/ready`)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const ready = (await (await fetch(`${gw.url}/ready`)).json()) as { providers: Array<{ id: string; status: string; error?: string }> };
    expect(ready.providers.find((p) => p.id === 'together')).toMatchObject({ status: 'ok' });
    const list = (await (await fetch(`${gw.baseURL}/models`)).json()) as { data: Array<{ id: string }> };
    expect(list.data.map((m) => m.id)).toContain('together/meta-llama/Llama-3.3-70B-Instruct-Turbo');
  });
});

describe('OpenAI-compatible hosts: errors', () => {
  let upstream: MockUpstream;
  let gw: RunningGateway;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    // OpenRouter and llama.cpp as the presets configure them, pointed at the mock.
    gw = await startGateway({ providers: providersFromEnv({ OPENROUTER_API_KEY: 'or-key', OPENROUTER_BASE_URL: upstream.baseURL, LLAMACPP_BASE_URL: upstream.baseURL }) });
    client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'k', maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  // Promised: OpenRouter's error docs (https://openrouter.ai/docs/api/reference/errors-and-debugging):
  // "Otherwise, the returned HTTP response status will be 200 and any error occurred while the LLM
  // is producing the output will be emitted in the response body", shaped `{error:{code,message}}`;
  // docs/providers.md promises errors with the provider named and its message kept (the streamed
  // twin of this case keeps it: chat.ts parseChunk reads the error event with readErrorBody).
  // What happens: plugins/openai/chat.ts only checks `choices` and answers every such body with
  // "openrouter: the answer is not a chat completion (no choices)", code upstream_invalid_response:
  // the provider's message and code are lost.
  it("a 200 body carrying OpenRouter's error object reaches the client with OpenRouter's message", async () => {
    upstream.enqueue({ status: 200, body: { error: { code: 502, message: 'Provider returned error: upstream model overloaded', metadata: { provider_name: 'Fireworks' } } } });
    const error = await client.chat.completions.create({ model: 'openrouter/meta-llama/llama-3.3-70b-instruct', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('upstream model overloaded');
  });

  // Promised: OpenRouter documents 403 as "Your chosen model requires moderation and your input
  // was flagged" / "guardrail block, or moderation flag", with the reasons in `error.metadata`
  // (https://openrouter.ai/docs/api/reference/errors-and-debugging): a refusal of the client's
  // input, which docs/providers.md says keeps its status ("errors: status kept, provider named,
  // retryable flag"). What happens: sdk/provider-kit/upstream-errors.ts turns every 401/403 into a
  // 502 `provider_auth_failed` marked retryable that tells the client the operator must fix the API
  // key, hides OpenRouter's message, and lets retry/fallback resend the flagged input.
  it("an OpenRouter 403 moderation refusal is not reported as the gateway's bad credentials", async () => {
    upstream.enqueue({ status: 403, body: { error: { code: 403, message: 'Your chosen model requires moderation and your input was flagged', metadata: { reasons: ['violence'], flagged_input: 'hi', provider_name: 'OpenAI', model_slug: 'openai/gpt-4o' } } } });
    const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'openrouter/openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
    const body = (await res.json()) as { error: { code: string | null; message: string; retryable: boolean } };
    expect(body.error.code).not.toBe('provider_auth_failed');
    expect(res.status).toBe(403);
    expect(body.error.retryable).toBe(false);
    expect(body.error.message).toContain('flagged');
  });

  // Promised: plugins/openai/api/chat-completions.ts: "A failure after the first byte ends the
  // stream with an error event and no `[DONE]`, so a cut answer never looks like a complete one";
  // docs/providers.md: errors keep their status and message. llama.cpp's server (the `llamacpp`
  // preset) reports a failure inside a stream as an `error:` SSE line, then writes `data: [DONE]`
  // (tools/server handle_completions_impl: `server_sent_event(sink, "error", error_data)` then
  // `ev_done`), e.g. when the prompt exceeds the context. What happens: sdk/provider-kit/sse-decoder.ts
  // hands on only `data` events (eventsource-parser drops the unknown `error` field), and chat.ts
  // takes the `[DONE]` as a finished answer: the client gets a 200 with no chunk at all, and the
  // openai SDK reports an empty, successful answer.
  it("llama.cpp's streamed error before any chunk reaches the openai client as an error, not an empty answer", async () => {
    upstream.enqueue({ stream: { chunks: ['error: {"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}\n\n'] } });
    const outcome = await (async () => {
      const stream = await client.chat.completions.create({ model: 'llamacpp/qwen2.5-7b', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      const parts: unknown[] = [];
      for await (const part of stream) parts.push(part);
      return { parts };
    })().catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toContain('exceeds the available context size');
  });

  // Same promise and cause as above, after the answer started: today the client gets "Hel" and then
  // `data: [DONE]`, a cut answer that looks complete.
  it("llama.cpp's streamed error after the first words ends the stream with an error event, not [DONE]", async () => {
    upstream.enqueue({ stream: { chunks: [event(chunk({ role: 'assistant', content: 'Hel' })), 'error: {"code":500,"message":"the slot was released while generating","type":"server_error"}\n\n'] } });
    const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'llamacpp/qwen2.5-7b', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
    const text = await res.text();
    expect(text).toContain('"content":"Hel"');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(false);
    expect(text).toContain('"error"');
  });
  // The same line on the legacy `/v1/completions`, which llama.cpp serves with the same error path
  // (the preset turns `legacyCompletions` on). Before its fix the text-completions adapter did not
  // read the `error` event the SSE decoder names: the `[DONE]` after it ended a failed answer as a
  // complete, empty one.
  it("llama.cpp's streamed error on /v1/completions reaches the openai client as an error", async () => {
    upstream.enqueue({ stream: { chunks: ['error: {"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}\n\n', 'data: [DONE]\n\n'] } });
    const outcome = await (async () => {
      const stream = await client.completions.create({ model: 'llamacpp/qwen2.5-7b', stream: true, prompt: 'hi' });
      const parts: unknown[] = [];
      for await (const part of stream) parts.push(part);
      return { parts };
    })().catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toContain('exceeds the available context size');
  });
});
