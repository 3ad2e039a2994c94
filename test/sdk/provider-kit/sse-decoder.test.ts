/**
 * decodeSse over a real socket: events split anywhere across reads (inside a multi-byte character,
 * between CR and LF), the end of the body, a reader that stops early, and a body cut mid-way. Then,
 * over bodies whose reads are given piece by piece, the events of random texts cut at random.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextReady } from '../../../core/stream-ready.js';
import { decodeSse } from '../../../sdk/provider-kit/sse-decoder.js';
import type { UpstreamExchange } from '../../../sdk/provider-kit/http-client.js';
import { seededRandom } from '../../support/seeded-random.js';

type Script = (res: ServerResponse) => Promise<void>;
const scripts = new Map<string, Script>();
let server: Server;
let origin: string;
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    void scripts.get(req.url ?? '')?.(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function exchangeFor(path: string, script: Script) {
  scripts.set(path, script);
  const response = await request(`${origin}${path}`);
  const calls = { released: 0 };
  const exchange: UpstreamExchange = {
    status: response.statusCode,
    headers: response.headers,
    body: response.body,
    release: () => void calls.released++,
    failure: (cause) => Object.assign(new Error(`failed: ${(cause as Error).message}`), { kind: 'upstream' }) as never,
  };
  return { exchange, calls };
}

describe('decodeSse', () => {
  it('drops the byte order mark a stream starts with, even when it comes a byte at a time', async () => {
    const text = Buffer.from('\ufeffdata: first\n\ndata: second\n\n');
    const { exchange } = await exchangeFor('/bom', async (res) => {
      for (const [from, to] of [[0, 1], [1, 2], [2, 3], [3, text.length]] as const) {
        res.write(text.subarray(from, to));
        await tick();
      }
      res.end();
    });
    const events = [];
    for await (const event of decodeSse(exchange)) events.push(event.data);
    expect(events).toEqual(['first', 'second']);
  });

  it('decodes events split anywhere across reads, and releases the exchange at the end', async () => {
    const text = Buffer.from('data: {"a":"héllo"}\r\n\r\nevent: ping\ndata: x\n\ndata: one\ndata: two\n\ndata: [DONE]\n\n');
    const { exchange, calls } = await exchangeFor('/split', async (res) => {
      // Cut inside "é" (two bytes) and between a CR and its LF.
      for (const [from, to] of [[0, 16], [16, 22], [22, 41], [41, text.length]] as const) {
        res.write(text.subarray(from, to));
        await tick();
      }
      res.end();
    });
    const events = [];
    for await (const event of decodeSse(exchange)) events.push({ event: event.event, data: event.data });
    expect(events).toEqual([
      { event: undefined, data: '{"a":"héllo"}' },
      { event: 'ping', data: 'x' },
      { event: undefined, data: 'one\ntwo' },
      { event: undefined, data: '[DONE]' },
    ]);
    expect(calls.released).toBe(1);
  });

  it('hands over the rest of a read\'s events in hand, and only events: the end comes from next()', async () => {
    let sendTheRest = () => undefined as void;
    const theRest = new Promise<void>((resolve) => (sendTheRest = resolve));
    const { exchange, calls } = await exchangeFor('/in-hand', async (res) => {
      res.write('data: one\n\ndata: two\n\ndata: three\n\n');
      await theRest;
      res.end('data: four\n\n');
    });
    const events = decodeSse(exchange);
    expect((await events.next()).value?.data).toBe('one');
    expect(nextReady(events)?.value.data).toBe('two');
    expect(nextReady(events)?.value.data).toBe('three');
    // The next read has not been asked for: nothing more in hand.
    expect(nextReady(events)).toBeUndefined();
    sendTheRest();
    expect((await events.next()).value?.data).toBe('four');
    expect(nextReady(events)).toBeUndefined();
    expect(await events.next()).toEqual({ done: true, value: undefined });
    expect(nextReady(events)).toBeUndefined();
    expect(calls.released).toBe(1);
  });

  it('a reader that stops early releases the exchange, and the rest of the body is drained', async () => {
    const { exchange, calls } = await exchangeFor('/early', async (res) => {
      res.write('data: first\n\ndata: second\n\n');
      await tick();
      res.end('data: after\n\n');
    });
    for await (const event of decodeSse(exchange)) {
      expect(event.data).toBe('first');
      break;
    }
    expect(calls.released).toBe(1);
    await new Promise((resolve) => exchange.body.once('close', resolve));
    expect(exchange.body.readableEnded || exchange.body.destroyed).toBe(true);
  });

  it('a reader that stops at the last event, the end of the body already in, ends the body without dumping it, and the connection is reused', async () => {
    const stop = async (path: string) => {
      // One write: the last event and the end of the chunked body come off the socket together.
      const { exchange, calls } = await exchangeFor(path, async (res) => void res.end('data: first\n\ndata: [DONE]\n\n'));
      const body = exchange.body;
      let dumped = 0;
      const dump = body.dump.bind(body);
      body.dump = (options) => (dumped++, dump(options));
      const closed = new Promise((resolve) => body.once('close', resolve));
      const seen: string[] = [];
      for await (const event of decodeSse(exchange)) {
        seen.push(event.data);
        if (event.data === '[DONE]') break;
      }
      expect(seen).toEqual(['first', '[DONE]']);
      expect(calls.released).toBe(1);
      await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the body never closed')), 2000))]);
      expect(body.readableEnded).toBe(true);
      expect(dumped).toBe(0);
    };
    let connections = 0;
    const count = () => void connections++;
    server.on('connection', count);
    try {
      await stop('/last-1');
      await stop('/last-2');
    } finally {
      server.off('connection', count);
    }
    expect(connections).toBeLessThanOrEqual(1);
  });

  it('a body cut mid-way fails the reader with the exchange own error, after the events before the cut', async () => {
    const { exchange, calls } = await exchangeFor('/cut', async (res) => {
      res.write('data: before\n\n');
      await tick();
      res.socket?.destroy();
    });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const event of decodeSse(exchange)) seen.push(event.data);
      })(),
    ).rejects.toThrow(/^failed: /);
    expect(seen).toEqual(['before']);
    expect(calls.released).toBe(1);
  });
});

/** A body whose reads are the pieces pushed, as they are pushed (no socket to join or split them). */
function bodyOf(pieces: readonly Buffer[], spaced: (index: number) => boolean): UpstreamExchange {
  const body = new Readable({ read() {} });
  void (async () => {
    for (const [index, piece] of pieces.entries()) {
      body.push(piece);
      // A turn between pieces lets the decoder read each alone; without one they may arrive together.
      if (spaced(index)) await new Promise((resolve) => setImmediate(resolve));
    }
    body.push(null);
  })();
  return { status: 200, headers: {}, body, release: () => undefined, failure: (cause: unknown) => cause as never } as unknown as UpstreamExchange;
}

describe('decodeSse, against eventsource-parser over the whole text', () => {
  it('gives the same events however the text is cut into reads (random: BOM, CR and CRLF, named events, several data lines, comments, ids, characters of 2 and 4 bytes)', async () => {
    const { random, pick } = seededRandom(7);
    const values = ['{"id":"c","choices":[{"delta":{"content":"hi"}}]}', 'café', '😀 ok', '', '[DONE]', 'x'.repeat(300), 'a: b'];
    for (let round = 0; round < 300; round++) {
      const lineEnd = pick(['\n', '\n', '\n', '\r\n', '\r']);
      let text = random() < 0.1 ? '\ufeff' : '';
      for (let n = 1 + Math.floor(random() * 8); n > 0; n--) {
        const shape = random();
        const end = random() < 0.1 ? '\r\n' : lineEnd;
        if (shape < 0.6) text += `data:${random() < 0.8 ? ' ' : ''}${pick(values)}${end}${end}`;
        else if (shape < 0.7) text += `event: ping${end}data: ${pick(values)}${end}${end}`;
        else if (shape < 0.8) text += `data: ${pick(values)}${end}data: ${pick(values)}${end}${end}`;
        else if (shape < 0.9) text += `: keep-alive${end}${end}`;
        else text += `id: 7${end}data: ${pick(values)}${end}${end}`;
      }
      // An event the body ends inside of is not one.
      if (random() < 0.2) text += 'data: cut short';
      const bytes = Buffer.from(text);
      const pieces: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = random() < 0.3 ? 1 + Math.floor(random() * 4) : 1 + Math.floor(random() * 200);
        pieces.push(bytes.subarray(at, at + size));
        at += size;
      }
      const expected: Array<{ data: string; event: string | undefined; id: string | undefined }> = [];
      const parser = createParser({ onEvent: (event) => void expected.push({ data: event.data, event: event.event, id: event.id }) });
      parser.feed(text.startsWith('\ufeff') ? text.slice(1) : text);
      const events = [];
      for await (const event of decodeSse(bodyOf(pieces, () => random() < 0.7))) events.push({ data: event.data, event: event.event, id: event.id });
      expect(events, JSON.stringify(text)).toEqual(expected);
    }
  });
  // llama.cpp's server reports a failure as an `error:` line, which becomes an `error` event. Before
  // its fix the line was found only inside one read: cut before its colon it went to the parser,
  // which drops a field it does not know, so a failed answer ended as a complete one; and a read
  // that began with an answer's own "error:" text (a line continued) was taken for one.
  it("finds llama.cpp's error: line however the reads cut it, and never inside a line", async () => {
    const text = 'data: {"content":"x"}\n\ndata: {"content":"error: not mine"}\n\nerror: {"message":"context exceeded"}\n\ndata: [DONE]\n\n';
    const bytes = Buffer.from(text);
    const expected = [
      { event: undefined, data: '{"content":"x"}' },
      { event: undefined, data: '{"content":"error: not mine"}' },
      { event: 'error', data: '{"message":"context exceeded"}' },
      { event: undefined, data: '[DONE]' },
    ];
    for (let cut = 1; cut < bytes.length; cut++) {
      for (const second of [bytes.length, cut + 1, cut + 3]) {
        const pieces = [bytes.subarray(0, cut), bytes.subarray(cut, second), bytes.subarray(second)].filter((piece) => piece.length > 0);
        const events = [];
        for await (const event of decodeSse(bodyOf(pieces, () => true))) events.push({ event: event.event, data: event.data });
        expect(events, `cut at ${cut} and ${second}`).toEqual(expected);
      }
    }
    // An `error:` line the body ends with, without its line break, is still the upstream's error.
    const events = [];
    for await (const event of decodeSse(bodyOf([Buffer.from('data: {"a":1}\n\nerr'), Buffer.from('or: gone')], () => true))) events.push({ event: event.event, data: event.data });
    expect(events).toEqual([{ event: undefined, data: '{"a":1}' }, { event: 'error', data: 'gone' }]);
  });
  // An `error:` line held until its end was joined again on every read: a hostile upstream's line
  // without end cost time that grew with its square (2 MB in 1000-byte reads: 10 s; 4 MB: 38 s, a
  // review found it). Now its pieces are kept as they come, up to 16 KB, the rest dropped. The
  // bound on time is a liveness check with a wide margin (this takes well under a second).
  it('keeps at most 16 KB of an error line that goes on and on, in time linear in it', async () => {
    const line = `error: ${'x'.repeat(4 * 1024 * 1024)}`;
    const bytes = Buffer.from(`data: {"a":1}\n\n${line}\n\ndata: [DONE]\n\n`);
    const pieces: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 1000) pieces.push(bytes.subarray(at, at + 1000));
    const started = performance.now();
    const events = [];
    for await (const event of decodeSse(bodyOf(pieces, () => true))) events.push({ event: event.event, length: event.data.length });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(events.map((e) => e.event)).toEqual([undefined, 'error', undefined]);
    expect(events[1]!.length).toBeLessThanOrEqual(16 * 1024 + 1000);
  }, 60_000);
});
