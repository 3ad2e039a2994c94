/**
 * Held streams: N concurrent slow streams (the slow upstream sends one chunk a second) through one
 * target at a time, to measure what each open stream costs in memory. RSS is sampled every 100 ms
 * while they run.
 *
 * The cost per stream is marginal: a tenth of N are held first, then all N, and it is
 * (peak with N − peak with N/10) / (N − N/10). (peak − before) / N, the earlier measure, charged
 * the streams with whatever the heap grows by under any new work (V8 sizing its spaces, code
 * compiled for the stream path) and moved with the RSS the process happened to have before: the
 * same build measured 1.35 and 2.03 of the bare proxy's, with "before" 90 MB in one run and 141 in
 * another. The marginal figure is what decides how many streams fit.
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
  /** KB of RSS per held stream: marginal (see the top) when `few` is set, else (peak − before) / N. */
  readonly perStreamKb: number;
  readonly wallMs: number;
  /** The hold of a tenth of N that came first, when the cost is marginal. */
  readonly few?: HeldResult;
}

/** Holds a tenth of `streams`, then all of them: the cost per stream is the difference's (see the top). */
export async function measureHeldStreams(endpoint: Endpoint, pid: number | undefined, streams: number): Promise<HeldResult> {
  const count = Math.max(1, Math.floor(streams / 10));
  if (count >= streams) return holdStreams(endpoint, pid, streams);
  const few = await holdStreams(endpoint, pid, count);
  const all = await holdStreams(endpoint, pid, streams);
  return { ...all, rssBeforeMb: few.rssBeforeMb, perStreamKb: ((all.rssPeakMb - few.rssPeakMb) * 1024) / (streams - count), few };
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
