/**
 * An output guard refuses a streamed answer on the way out: after `await next()`, while the answer
 * is "a stream not yet sent" (docs/plugins.md §2), it throws a GatewayError. Before its fix, the
 * client got its 400 at once, but the upstream stream nobody would ever read was neither cancelled
 * nor released: the provider went on generating (and billing) the whole answer on a held
 * connection, where a client leaving mid-stream has its upstream cut at once. Now the kernel lets
 * such a stream go as the refusal is answered: the request is aborted, which ends the upstream
 * exchange, and the stream is returned, so the layers around it end (here: the provider call's own
 * tap, which ends the attempt). Also when the guard's own generator wraps the stream, which a
 * return() alone would not reach. The refusal is recorded as the kernel records any other: one
 * usage record, status 400, outcome `error`, the guard's code. A slow upstream on a real socket
 * (40 chunks, 50 ms apart), the official `openai` client.
 */
import http from 'node:http';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, GatewayError, type ChatCompletionChunk } from 'llm-gateway/plugin';
import { startGateway, type RunningGateway } from 'llm-gateway/testing';
import { usageLogger } from '../../index.js';
import { usageRecordOf } from '../support/usage-records.js';

const CHUNKS = 40;
const DELAY_MS = 50; // a 2-second generation

let upstream: http.Server;
let upstreamURL: string;
/** Per upstream request: how it ended. */
const ends: Array<{ finished: boolean; chunksWritten: number }> = [];

beforeAll(async () => {
  upstream = http.createServer(async (req, res) => {
    for await (const _ of req);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let written = 0;
    res.on('close', () => ends.push({ finished: res.writableFinished, chunksWritten: written }));
    for (let i = 0; i < CHUNKS; i++) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content: `w${i} ` }, finish_reason: null }] })}\n\n`);
      written++;
      await new Promise((r) => setTimeout(r, DELAY_MS));
    }
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamURL = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/v1`;
});
afterAll(() => {
  upstream.closeAllConnections();
  upstream.close();
});

let gw: RunningGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  ends.length = 0;
});

/** A plugin's own generator around the stream, which nobody starts once the stream is refused. */
async function* passedOn(chunks: AsyncIterable<ChatCompletionChunk>): AsyncIterable<ChatCompletionChunk> {
  for await (const chunk of chunks) yield chunk;
}

function outputGuard(wrapFirst: boolean) {
  return definePlugin({
    name: 'output-guard',
    setup: () => ({
      async middleware(ctx, next) {
        await next();
        if (ctx.response?.kind !== 'stream') return;
        if (wrapFirst) ctx.response = { ...ctx.response, chunks: passedOn(ctx.response.chunks) };
        throw new GatewayError('invalid_request', 'Streaming is not allowed for this caller.', { code: 'stream_refused' });
      },
    }),
  })();
}

describe('a streamed answer refused on the way out', () => {
  it.each([
    ['as the upstream gave it', false],
    ["wrapped by the plugin's own generator", true],
  ])('%s: the client gets the refusal, the upstream is cut at once, the refusal is recorded', async (_, wrapFirst) => {
    const attemptsEnded: Array<number | undefined> = [];
    const recorder = definePlugin({
      name: 'attempt-recorder',
      setup(host) {
        host.events.on('request:end', (ctx) => attemptsEnded.push(...ctx.attempts.map((a) => a.endedAt)));
      },
    });
    gw = await startGateway({
      providers: { up: { type: 'openai-compatible', baseURL: upstreamURL, listModels: false } },
      plugins: [usageLogger({ url: 'sqlite::memory:' }), recorder(), outputGuard(wrapFirst)],
    });
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
    const requestId = `refused-${String(wrapFirst)}`;
    const asked = client.chat.completions.create({ model: 'up/m', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': requestId } });
    await expect(asked).rejects.toMatchObject({ status: 400, code: 'stream_refused' });

    // The client has its answer; the gateway lets go well within the generation's 2 s.
    await expect.poll(() => ends.length, { timeout: 600, interval: 20 }).toBe(1);
    expect(ends[0]!.finished).toBe(false);
    expect(ends[0]!.chunksWritten).toBeLessThan(CHUNKS / 2);

    const record = await usageRecordOf(gw, requestId);
    expect(record).toMatchObject({ status: 400, outcome: 'error', errorCode: 'stream_refused' });
    if (!wrapFirst) expect(attemptsEnded).toEqual([expect.any(Number)]);
  });

  it('a stream the client is sent still runs to its end', async () => {
    gw = await startGateway({ providers: { up: { type: 'openai-compatible', baseURL: upstreamURL, listModels: false } } });
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
    let parts = 0;
    for await (const part of await client.chat.completions.create({ model: 'up/m', stream: true, messages: [{ role: 'user', content: 'hi' }] })) if (part.choices[0]?.delta.content) parts++;
    expect(parts).toBe(CHUNKS);
    await expect.poll(() => ends.length).toBe(1);
    expect(ends[0]!.finished).toBe(true);
  });
});
