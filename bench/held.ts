/**
 * Held streams: N concurrent slow streams (the slow upstream sends one chunk a second) through one
 * target at a time, to measure what each open stream costs in memory. RSS is sampled every 100 ms
 * while they run; the cost per stream is (peak − before) / N.
 */
import { Agent } from 'undici';
import type { Endpoint } from './load.js';
import { rssMb } from './processes.js';

export interface HeldResult {
  readonly streams: number;
  readonly completed: number;
  readonly failures: Map<string, number>;
  readonly rssBeforeMb: number;
  readonly rssPeakMb: number;
  /** KB of RSS per held stream. */
  readonly perStreamKb: number;
  readonly wallMs: number;
}

export async function holdStreams(endpoint: Endpoint, pid: number | undefined, streams: number): Promise<HeldResult> {
  // One connection per stream, opened as needed, none reused across them.
  const agent = new Agent({ connections: streams, pipelining: 1, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const rssBeforeMb = rssMb(pid) ?? Number.NaN;
  let rssPeakMb = rssBeforeMb;
  const sampler = setInterval(() => {
    const now = rssMb(pid);
    if (now !== undefined && now > rssPeakMb) rssPeakMb = now;
  }, 100);
  const failures = new Map<string, number>();
  let completed = 0;
  const started = performance.now();
  const body = JSON.stringify({ model: endpoint.model, stream: true, messages: [{ role: 'user', content: 'Hold this stream open, please.' }] });
  await Promise.all(
    Array.from({ length: streams }, async () => {
      try {
        const res = await agent.request({ origin: endpoint.origin, path: endpoint.path, method: 'POST', headers: { 'content-type': 'application/json', ...endpoint.headers }, body });
        let tail = '';
        for await (const chunk of res.body as AsyncIterable<Buffer>) tail = (tail + chunk.toString('latin1')).slice(-32);
        if (res.statusCode !== 200) throw new Error(`http ${res.statusCode}`);
        if (!tail.includes('data: [DONE]')) throw new Error('stream without [DONE]');
        completed++;
      } catch (error) {
        const kind = (error as { code?: string }).code ?? (error as Error).message;
        failures.set(kind, (failures.get(kind) ?? 0) + 1);
      }
    }),
  );
  clearInterval(sampler);
  const wallMs = performance.now() - started;
  await agent.close();
  return { streams, completed, failures, rssBeforeMb, rssPeakMb, perStreamKb: ((rssPeakMb - rssBeforeMb) * 1024) / streams, wallMs };
}
