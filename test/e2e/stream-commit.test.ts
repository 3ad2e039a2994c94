/**
 * A stream commits on its first meaningful event, not its first byte: an upstream whose 200 stream
 * says only its preamble (OpenAI's role chunk, Anthropic's message_start and ping) and then fails is
 * a failed try like any other, so retry and fallback take over and the client sees one clean
 * stream from the target that answered; without a fallback, the client gets a real HTTP error.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { retry } from '../../index.js';
import { anthropicError, anthropicStreamEvents, sseEvent } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';
import { chunk, startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

let first: MockUpstream;
let second: MockUpstream;
let gw: RunningGateway;
let openai: OpenAI;
let anthropic: Anthropic;
let gemini: MockGemini;

beforeAll(async () => {
  [first, second, gemini] = await Promise.all([startMockUpstream(), startMockUpstream(), startMockGemini()]);
  gw = await startGateway({
    providers: {
      a: { type: 'openai-compatible', baseURL: first.baseURL, listModels: false },
      b: { type: 'openai-compatible', baseURL: second.baseURL, listModels: false },
      claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: first.baseURL, listModels: false },
      claude2: { type: 'anthropic', apiKey: 'sk-ant', baseURL: second.baseURL, listModels: false },
      gem: mockGeminiProvider(gemini),
    },
    models: {
      stack: { targets: ['a/m', 'b/m'] },
      'claude-stack': { targets: ['claude/claude-test', 'claude2/claude-test'] },
      'gem-stack': { targets: ['gem/gemini-x', 'b/m'] },
    },
    plugins: [retry({ attempts: 1, backoff: { initialMs: 0 } })],
  });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'k', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([first?.close(), second?.close(), gemini?.close()]);
});
beforeEach(() => {
  first.reset();
  second.reset();
});

const midStreamError = 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n';

describe('preamble, then an error', () => {
  it('OpenAI: a role chunk then an error falls back, and the client reads one clean stream', async () => {
    first.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: '' }), midStreamError], done: false } });
    second.enqueue({ stream: { chunks: wordChunks('from the second') } });
    const { data: stream, response } = await openai.chat.completions.create({ model: 'stack', stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    let text = '';
    const roles: string[] = [];
    for await (const part of stream) {
      text += part.choices[0]?.delta.content ?? '';
      if (part.choices[0]?.delta.role) roles.push(part.choices[0].delta.role);
    }
    expect(text).toBe('from the second');
    expect(roles).toEqual(['assistant']);
    expect(response.headers.get('x-gateway-attempts')).toBe('2');
    expect(response.headers.get('x-gateway-provider')).toBe('b');
  });

  it('Anthropic: message_start and ping then an error event falls back (native on both sides)', async () => {
    first.enqueue({ stream: { chunks: [...anthropicStreamEvents([]).slice(0, 2), sseEvent(anthropicError('overloaded_error', 'Overloaded'))], done: false } });
    second.enqueue({ stream: { chunks: anthropicStreamEvents([{ text: 'second answer' }]), done: false } });
    const stream = anthropic.messages.stream({ model: 'claude-stack', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const message = await stream.finalMessage();
    expect(message.content.map((block) => (block.type === 'text' ? block.text : block.type))).toEqual(['second answer']);
    expect(types.filter((t) => t === 'message_start')).toHaveLength(1);
  });

  // Gemini's adapter emits nothing for an empty candidate, so this held before the commit point moved; it guards it.
  it('Gemini: an empty candidate then an error event falls back', async () => {
    gemini.enqueue({ streamEvents: [{ candidates: [{ content: { role: 'model', parts: [] }, index: 0 }] }, { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }] });
    second.enqueue({ stream: { chunks: wordChunks('from the fallback') } });
    const stream = await openai.chat.completions.create({ model: 'gem-stack', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    expect(text).toBe('from the fallback');
  });

  it('without a fallback, the client gets a real HTTP error instead of a broken 200', async () => {
    first.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: '' }), midStreamError], done: false } });
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'a/m', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_stream_error');
  });

  it('the first content is passed on at once, whatever follows it', async () => {
    // The upstream says one word, then goes silent: the word must reach the client all the same.
    first.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'quick' }), chunk({ content: ' never' })], stallAfter: 2 } });
    const controller = new AbortController();
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'a/m', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('quick')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text.indexOf('"role":"assistant"')).toBeLessThan(text.indexOf('quick'));
    controller.abort();
  });
});
