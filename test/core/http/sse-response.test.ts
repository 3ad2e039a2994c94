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
});
