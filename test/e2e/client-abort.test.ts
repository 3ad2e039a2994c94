/**
 * A client that goes away cancels its upstream request, and never takes the process down
 * (a naive Koa + undici proxy crashes here on the aborted upstream body's unhandled error).
 */
import { connect } from 'node:net';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../core/context.js';
import { countAbortControllers } from '../support/abort-controllers.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;
const ended: GatewayContext[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } } });
  gw.gateway.events.on('request:end', (ctx) => void ended.push(ctx));
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'k', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const slowStream = () => ({ stream: { chunks: wordChunks('one two three four five six seven eight nine ten'), chunkDelayMs: 100 } });

async function stillServes(): Promise<void> {
  const answer = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'alive?' }] });
  expect(answer.choices[0]?.message.content).toBe('echo: alive?');
}

describe('client disconnects', () => {
  it('the openai client aborting mid-stream closes the upstream connection', async () => {
    upstream.enqueue(slowStream());
    const upstreamSawAbort = upstream.nextClientAbort();
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'x' }] },
      { signal: controller.signal },
    );
    // The SDK ends an aborted stream's iteration quietly; what matters is that the rest never came.
    let received = 0;
    for await (const part of stream) {
      if (part.choices[0]?.delta.content && ++received === 2) controller.abort();
    }
    expect(received).toBe(2);
    await upstreamSawAbort;
    await expect.poll(() => ended.at(-1)?.outcome).toBe('client_aborted');
    await stillServes();
  });

  it('a request nobody aborts makes no AbortSignal: its upstream call follows it without one (2 µs a request on Node 20)', async () => {
    const made = countAbortControllers();
    try {
      for (const stream of [false, true]) {
        const response = await request(`${gw.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'mock/mock-small', stream, messages: [{ role: 'user', content: 'hi' }] }),
        });
        expect(response.statusCode).toBe(200);
        expect(await response.body.text()).toContain(stream ? 'data: [DONE]' : 'echo: hi');
      }
      expect(made.count).toBe(0);
    } finally {
      made.restore();
    }
  });

  it('aborting a slow non-streaming request cancels the upstream request', async () => {
    upstream.enqueue({ delayMs: 2000, body: {} });
    const upstreamSawAbort = upstream.nextClientAbort();
    const controller = new AbortController();
    const pending = client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toThrow();
    await upstreamSawAbort;
    await stillServes();
  });

  it('a raw socket destroyed mid-stream does not crash the gateway', async () => {
    upstream.enqueue(slowStream());
    const upstreamSawAbort = upstream.nextClientAbort();
    const { port } = new URL(gw.url);
    const socket = connect(Number(port), '127.0.0.1');
    const body = JSON.stringify({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'x' }] });
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await new Promise<void>((resolve) => {
      let seen = '';
      socket.on('data', (data: Buffer) => {
        seen += data.toString();
        if (seen.includes('"content":"one "')) {
          socket.destroy();
          resolve();
        }
      });
    });
    await upstreamSawAbort;
    await stillServes();
  });

  it('many clients leaving at once leave the gateway healthy', async () => {
    const controllers = Array.from({ length: 20 }, () => new AbortController());
    for (let i = 0; i < controllers.length; i++) upstream.enqueue(slowStream());
    const endedBefore = ended.length;
    const runs = controllers.map(async (controller) => {
      const stream = await client.chat.completions.create({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'x' }] }, { signal: controller.signal });
      let words = 0;
      for await (const part of stream) if (part.choices[0]?.delta.content && ++words === 1) controller.abort();
      return words;
    });
    // Each client leaves after its first word, mid-stream (ten words 100 ms apart). On a loaded
    // machine a second chunk may already sit in the same read when the abort lands: that is the
    // client's buffering, not the gateway's, so what is checked is that none read to the end.
    const words = await Promise.all(runs);
    for (const count of words) expect(count).toBeGreaterThanOrEqual(1);
    for (const count of words) expect(count).toBeLessThan(10);
    await expect.poll(() => ended.slice(endedBefore).filter((ctx) => ctx.outcome === 'client_aborted').length).toBe(20);
    await stillServes();
  });
});
