/**
 * `npm run bench:burst`: N slow streams opened at once through the full pipeline on a Redis store
 * (bench/configs/full.json with `store` set to BENCH_REDIS_URL), against two gateways of the same
 * build sharing that Redis, as replicas do, in turns (A, B, A, B). Prints, per turn, how the
 * requests ended: `ok`, or the status and error code of the answer (`503 store_unavailable` is a
 * budget reservation that Redis did not confirm within its bound), and when each first happened.
 *
 * A burst past what one process can serve makes every Redis answer reach the event loop late;
 * this shows whether the gateway then sheds requests or only slows down.
 * Environment: BENCH_BURST_STREAMS (default 5000), BENCH_REDIS_URL (default redis://127.0.0.1:6379),
 * BENCH_HELD_CHUNKS (chunks per slow stream, one a second; default 5).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { positiveInt } from './env.js';
import { createBenchKey, gatewayEnv, installCleanup, killAll, startGatewayProcess, startMockUpstreams, writeFullOnRedis } from './processes.js';

const ROOT = join(import.meta.dirname, '..');
const STREAMS = positiveInt('BENCH_BURST_STREAMS', 5000);
const TURNS = ['A', 'B', 'A', 'B'];

installCleanup();
const work = mkdtempSync(join(tmpdir(), 'bench-burst-'));
const config = writeFullOnRedis(join(work, 'full-redis.json'));
const main = join(ROOT, 'dist', 'cli', 'main.js');
const env = gatewayEnv(await startMockUpstreams());

const gateways = new Map<string, { origin: string; key: string }>();
for (const name of new Set(TURNS)) {
  const cwd = mkdtempSync(join(work, `${name}-`));
  const key = createBenchKey({ main, config, cwd, env, name: `burst-${name}` });
  const gateway = await startGatewayProcess({ name, cwd, main, config, env });
  gateways.set(name, { origin: gateway.origin, key });
}

const body = JSON.stringify({ model: 'slow/mock-small', stream: true, messages: [{ role: 'user', content: 'Hold this stream open, please.' }] });
for (const name of TURNS) {
  const { origin, key } = gateways.get(name)!;
  const agent = new Agent({ connections: STREAMS, pipelining: 1, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const outcomes = new Map<string, { count: number; firstMs: number }>();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: STREAMS }, async () => {
      let outcome = 'ok';
      try {
        const res = await agent.request({ origin, path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
        const text = await res.body.text();
        if (res.statusCode !== 200) outcome = `${res.statusCode} ${/"code":"([^"]+)"/.exec(text)?.[1] ?? text.slice(0, 60)}`;
        else if (!text.includes('data: [DONE]')) outcome = 'stream without [DONE]';
      } catch (error) {
        outcome = (error as { code?: string }).code ?? (error as Error).message;
      }
      const seen = outcomes.get(outcome);
      if (seen) seen.count++;
      else outcomes.set(outcome, { count: 1, firstMs: Math.round(performance.now() - started) });
    }),
  );
  await agent.close();
  const summary = [...outcomes].map(([outcome, { count, firstMs }]) => `${outcome}: ${count} (first after ${firstMs} ms)`).join(' · ');
  process.stdout.write(`gateway ${name}, ${STREAMS} streams at once: ${summary} · all done in ${Math.round(performance.now() - started)} ms\n`);
}
killAll();
rmSync(work, { recursive: true, force: true });
process.exit(0);
