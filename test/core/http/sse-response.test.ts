/**
 * writeSse over a real socket: every event reaches the client whatever the timing of the
 * iterable, on every Node major (Node 22 once lost whatever was written in the tick of `end()`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { writeSse } from '../../../core/http/sse-response.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(events: () => AsyncIterable<string>): Promise<string> {
  server = createServer((_req, res) => void writeSse(res, events()));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  return response.text();
}

const events = (n: number, size = 8) => Array.from({ length: n }, (_, i) => `data: ${String(i).padEnd(size, '.')}\n\n`);

describe('writeSse', () => {
  it('delivers events that all arrive in one tick, as one upstream read does', async () => {
    const all = events(50);
    const body = await serve(async function* () {
      yield* all;
    });
    expect(body).toBe(all.join(''));
  });

  it('delivers events spread over several ticks, the last one in the tick of the end', async () => {
    const all = events(6);
    const body = await serve(async function* () {
      for (const [i, event] of all.entries()) {
        if (i % 2 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        yield event;
      }
    });
    expect(body).toBe(all.join(''));
  });

  it('waits for the client to drain events larger than the socket buffer', async () => {
    const all = events(8, 100_000);
    const body = await serve(async function* () {
      yield* all;
    });
    expect(body.length).toBe(all.join('').length);
    expect(body).toBe(all.join(''));
  });

  it('joins the events of one tick into one write, and writes an event that comes alone at once', async () => {
    const writes: string[] = [];
    server = createServer((_req, res) => {
      const write = res.write.bind(res) as (chunk: string) => boolean;
      res.write = ((chunk: string) => (writes.push(chunk), write(chunk))) as typeof res.write;
      void writeSse(
        res,
        (async function* () {
          yield* events(10);
          await new Promise((resolve) => setTimeout(resolve, 20));
          yield* events(3);
        })(),
      );
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const body = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).text();
    expect(body).toBe([...events(10), ...events(3)].join(''));
    expect(writes).toEqual([events(10).join(''), events(3).join('')]);
  });

  it('sends the headers in the same write as the first events (one syscall, not two)', async () => {
    const writes: string[] = [];
    server = createServer((_req, res) => {
      // What reaches the kernel: every write of the socket's handle, whatever Node's HTTP layer joined.
      const handle = (res.socket as unknown as { _handle: Record<string, (...args: unknown[]) => unknown> })._handle;
      for (const method of ['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString']) {
        const original = handle[method]!.bind(handle);
        handle[method] = (...args: unknown[]) => (writes.push(method), original(...args));
      }
      void writeSse(
        res,
        (async function* () {
          yield* events(3);
        })(),
      );
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const body = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).text();
    expect(body).toBe(events(3).join(''));
    // The headers, the events and the end of the body, in one write.
    expect(writes).toHaveLength(1);
  });

  it('sends the headers at once when the first event is late', async () => {
    let release!: () => void;
    const late = new Promise<void>((resolve) => (release = resolve));
    server = createServer((_req, res) => {
      void writeSse(
        res,
        (async function* () {
          await late;
          yield* events(1);
        })(),
      );
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    // fetch resolves on the headers: it would wait for ever if they waited for the first event.
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(response.status).toBe(200);
    release();
    expect(await response.text()).toBe(events(1).join(''));
  });

  it('does not wait for a drain that came before the next event (a large event, a pause, then more)', async () => {
    const big = `data: ${'x'.repeat(1_000_000)}\n\n`;
    const body = await serve(async function* () {
      yield big;
      // The client reads the big write meanwhile: its 'drain' comes before the next event does.
      await new Promise((resolve) => setTimeout(resolve, 200));
      yield 'data: after\n\n';
    });
    expect(body).toBe(`${big}data: after\n\n`);
  }, 10_000);
});
