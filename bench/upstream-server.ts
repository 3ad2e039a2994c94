/**
 * The benchmark's upstreams, in their own process, recording nothing: the test suite's
 * OpenAI-format mock (default echo scenario), and a slow one for held streams that answers every
 * chat request with a stream of one chunk a second (`BENCH_HELD_CHUNKS` chunks, default 5, then a
 * usage chunk and `[DONE]`). Prints `{"port":N,"slowPort":M}`; exits when its parent closes stdin.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startMockUpstream } from '../test/support/mock-upstream.js';

const CHUNKS = Number(process.env.BENCH_HELD_CHUNKS ?? 5);
const INTERVAL_MS = Number(process.env.BENCH_HELD_INTERVAL_MS ?? 1000);

const upstream = await startMockUpstream({ record: false });
const slow = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    // Connection: close, so that a proxy's pooled connections do not outlive the held streams: 5,000
    // of them kept alive per target would exhaust this process's open files by the fourth target.
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'close' });
    const base = { id: 'chatcmpl-slow', object: 'chat.completion.chunk', created: 1700000000, model: 'mock-small' };
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      if (sent < CHUNKS) {
        const delta = sent === 0 ? { role: 'assistant', content: 'tick ' } : { content: 'tick ' };
        res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`);
        sent++;
        return;
      }
      clearInterval(timer);
      res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 12, completion_tokens: CHUNKS, total_tokens: 12 + CHUNKS } })}\n\n`);
      res.end('data: [DONE]\n\n');
    }, INTERVAL_MS);
    res.on('close', () => clearInterval(timer));
  });
});
slow.keepAliveTimeout = 60_000;
slow.maxHeadersCount = 0;
await new Promise<void>((resolve) => slow.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
process.stdin.on('close', () => process.exit(0)).resume();
process.stdout.write(`${JSON.stringify({ port: upstream.port, slowPort: (slow.address() as AddressInfo).port })}\n`);
