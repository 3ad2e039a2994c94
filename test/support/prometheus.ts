/**
 * A real Prometheus server (Debian's `prometheus` package) for tests: started with a temporary
 * config that scrapes the given targets every second, queried through its HTTP API, stopped and
 * its data deleted at the end. `.ci/run` installs the package; locally a test without it skips,
 * except under CI=1, where a missing binary is an error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/** Whether the Prometheus binary is here; under CI=1 its absence throws, so CI never skips. */
export function prometheusAvailable(): boolean {
  if (existsSync(PROMETHEUS_BIN)) return true;
  if (process.env.CI) throw new Error(`Prometheus is not installed at ${PROMETHEUS_BIN} (CI=1): .ci/run installs it with "apt-get install -y prometheus"; set PROMETHEUS_BIN to use another.`);
  return false;
}

export interface ScrapeJob {
  job: string;
  /** `127.0.0.1:port` */
  target: string;
  path?: string;
  bearerToken?: string;
}

export interface RunningPrometheus {
  readonly url: string;
  /** An instant query's vector result: each series' labels and value. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** Polls `query` until `accept` is true of its result (or `timeoutMs` passes: then it throws with the last result). */
  waitFor(promql: string, accept: (result: Array<{ metric: Record<string, string>; value: number }>) => boolean, timeoutMs?: number): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  stop(): Promise<void>;
}

export async function startPrometheus(jobs: readonly ScrapeJob[]): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-gateway-prometheus-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    'scrape_configs:',
    ...jobs.flatMap((job) => [
      `  - job_name: ${JSON.stringify(job.job)}`,
      `    metrics_path: ${JSON.stringify(job.path ?? '/metrics')}`,
      ...(job.bearerToken ? ['    authorization:', `      credentials: ${JSON.stringify(job.bearerToken)}`] : []),
      '    static_configs:',
      `      - targets: [${JSON.stringify(job.target)}]`,
    ]),
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await until(async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true, 30_000, () => `Prometheus did not become ready:\n${output}`);
  } catch (error) {
    await stop();
    throw error;
  }

  const query = async (promql: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success' || !body.data) throw new Error(`Prometheus query failed: ${promql}: ${body.error}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };

  return {
    url,
    query,
    async waitFor(promql, accept, timeoutMs = 20_000) {
      let last: Awaited<ReturnType<typeof query>> = [];
      await until(async () => accept((last = await query(promql))), timeoutMs, () => `${promql} never matched; last result: ${JSON.stringify(last)}`);
      return last;
    },
    stop,
  };
}

async function until(check: () => Promise<boolean>, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
