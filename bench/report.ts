/**
 * Turns the benchmark's samples into the markdown that goes to stdout and into the results section
 * of docs/performance.md: throughput, latency, time to first chunk, the gateway's cost against the
 * upstream called directly and against a bare proxy, and whether the targets were met.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { errorCount, percentiles, type Percentiles, type Sample } from './load.js';

export const TARGETS = ['direct', 'bare proxy', 'gateway'] as const;
export type TargetName = (typeof TARGETS)[number];

export interface Cell {
  readonly stream: boolean;
  readonly concurrency: number;
  readonly samples: Record<TargetName, Sample>;
}

export interface RunInfo {
  readonly date: Date;
  readonly cores: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly rounds: number;
  readonly loadAverage: { start: number; end: number };
  readonly rssMb: Partial<Record<TargetName, number>>;
  /** Lines the gateway logged while it was under load (it should log none). */
  readonly gatewayLogLines: number;
}

/** Aims from the project brief; the bench reports them met or missed, it does not fail on them. */
const AIM_THROUGHPUT_RATIO_C64 = 0.25;
const AIM_ADDED_P50_C1_MS = 0.3;

interface Summary {
  rps: number;
  /** CPU time of the serving process per successful request, µs. */
  cpuUs: number;
  latency: Percentiles;
  ttft: Percentiles;
  errors: number;
}

function summarize(sample: Sample): Summary {
  return { rps: (sample.latencies.length / sample.elapsedMs) * 1000, cpuUs: (sample.serverCpuMs * 1000) / sample.latencies.length, latency: percentiles(sample.latencies), ttft: percentiles(sample.ttfts), errors: errorCount(sample) };
}

const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : value.toFixed(3));
const pair = (p: Percentiles) => `${ms(p.p50)} / ${ms(p.p99)}`;
const added = (a: Percentiles, b: Percentiles) => `${signed(a.p50 - b.p50)} / ${signed(a.p99 - b.p99)}`;
const signed = (value: number) => (value >= 0 ? `+${ms(value)}` : ms(value));
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
const mode = (stream: boolean) => (stream ? 'stream' : 'JSON');

export function renderReport(cells: readonly Cell[], info: RunInfo): string {
  const rows = cells.map((cell) => ({ cell, s: Object.fromEntries(TARGETS.map((t) => [t, summarize(cell.samples[t])])) as Record<TargetName, Summary> }));
  const out: string[] = [];
  const when = info.date.toISOString().slice(0, 16).replace('T', ' ');
  out.push(
    `Run of ${when} UTC · node ${info.node} · ${info.cores} cores (${info.cpuModel}) · load average ${info.loadAverage.start.toFixed(2)} before, ${info.loadAverage.end.toFixed(2)} after · ` +
      `each cell ${info.warmupMs} ms warm-up, then ${info.durationMs} ms measured per target in ${info.rounds} interleaved rounds`,
    '',
  );

  out.push('**Throughput** (successful requests per second; closed loop, c = concurrent clients)', '');
  out.push('| mode | c | direct | bare proxy | gateway | bare / direct | gateway / direct | gateway / bare | errors |');
  out.push('| --- | --: | --: | --: | --: | --: | --: | --: | --: |');
  for (const { cell, s } of rows) {
    const errors = TARGETS.reduce((n, t) => n + s[t].errors, 0);
    out.push(
      `| ${mode(cell.stream)} | ${cell.concurrency} | ${s.direct.rps.toFixed(0)} | ${s['bare proxy'].rps.toFixed(0)} | ${s.gateway.rps.toFixed(0)} | ` +
        `${ratio(s['bare proxy'].rps, s.direct.rps)} | **${ratio(s.gateway.rps, s.direct.rps)}** | ${ratio(s.gateway.rps, s['bare proxy'].rps)} | ${errors} |`,
    );
  }

  out.push('', '**CPU time per request** (µs of the serving process alone: the mock for direct, the proxy for the others; less sensitive to other load on the machine than throughput)', '');
  out.push('| mode | c | mock upstream | bare proxy | gateway | gateway / bare proxy |');
  out.push('| --- | --: | --: | --: | --: | --: |');
  for (const { cell, s } of rows) {
    out.push(`| ${mode(cell.stream)} | ${cell.concurrency} | ${s.direct.cpuUs.toFixed(0)} | ${s['bare proxy'].cpuUs.toFixed(0)} | ${s.gateway.cpuUs.toFixed(0)} | ${ratio(s.gateway.cpuUs, s['bare proxy'].cpuUs)} |`);
  }

  out.push('', '**Latency of the whole answer** (ms, p50 / p99; for streams, until the last byte)', '');
  out.push('| mode | c | direct | bare proxy | gateway | gateway added vs direct | gateway added vs bare proxy |');
  out.push('| --- | --: | --: | --: | --: | --: | --: |');
  for (const { cell, s } of rows) {
    out.push(
      `| ${mode(cell.stream)} | ${cell.concurrency} | ${pair(s.direct.latency)} | ${pair(s['bare proxy'].latency)} | ${pair(s.gateway.latency)} | ` +
        `**${added(s.gateway.latency, s.direct.latency)}** | ${added(s.gateway.latency, s['bare proxy'].latency)} |`,
    );
  }

  const streams = rows.filter((r) => r.cell.stream);
  if (streams.length > 0) {
    out.push('', '**Streams: time to first chunk** (TTFT, ms, p50 / p99)', '');
    out.push('| c | direct | bare proxy | gateway | gateway added vs direct | gateway added vs bare proxy |');
    out.push('| --: | --: | --: | --: | --: | --: |');
    for (const { cell, s } of streams) {
      out.push(`| ${cell.concurrency} | ${pair(s.direct.ttft)} | ${pair(s['bare proxy'].ttft)} | ${pair(s.gateway.ttft)} | **${added(s.gateway.ttft, s.direct.ttft)}** | ${added(s.gateway.ttft, s['bare proxy'].ttft)} |`);
    }
  }

  out.push('', '**Against the targets**', '');
  for (const { cell, s } of rows) {
    if (cell.concurrency === 64) {
      const r = s.gateway.rps / s.direct.rps;
      out.push(`- ${mode(cell.stream)}, c=64: gateway / direct throughput ${r.toFixed(2)} (aim ≥ ${AIM_THROUGHPUT_RATIO_C64}): ${r >= AIM_THROUGHPUT_RATIO_C64 ? 'met' : 'missed'}; bare proxy ${ratio(s['bare proxy'].rps, s.direct.rps)}.`);
    }
  }
  for (const { cell, s } of rows) {
    if (cell.concurrency === 1) {
      const d = s.gateway.latency.p50 - s.direct.latency.p50;
      const bare = s['bare proxy'].latency.p50 - s.direct.latency.p50;
      out.push(`- ${mode(cell.stream)}, c=1: added p50 latency ${ms(d)} ms (aim ≤ ${AIM_ADDED_P50_C1_MS} ms): ${d <= AIM_ADDED_P50_C1_MS ? 'met' : 'missed'}; bare proxy ${ms(bare)} ms.`);
    }
  }
  const rss = (t: TargetName) => (info.rssMb[t] === undefined ? 'n/a' : `${info.rssMb[t]!.toFixed(0)} MB`);
  out.push(`- Peak RSS (VmHWM): gateway ${rss('gateway')}, bare proxy ${rss('bare proxy')}, mock upstream ${rss('direct')}.`);
  out.push(`- Lines logged by the gateway under load: ${info.gatewayLogLines}.`);
  out.push(`- Failed requests: ${describeErrors(cells)}.`);
  return out.join('\n');
}

function describeErrors(cells: readonly Cell[]): string {
  const parts: string[] = [];
  for (const cell of cells) {
    for (const target of TARGETS) {
      for (const [kind, n] of cell.samples[target].errors) parts.push(`${n} × ${kind} (${target}, ${mode(cell.stream)}, c=${cell.concurrency})`);
    }
  }
  return parts.length === 0 ? 'none' : parts.join('; ');
}

export function totalErrors(cells: readonly Cell[]): number {
  return cells.reduce((n, cell) => n + TARGETS.reduce((m, t) => m + errorCount(cell.samples[t]), 0), 0);
}

/**
 * Replaces the results section of the doc for this Node major (between its markers), keeping the
 * hand-written rest and the other majors' results; a major seen for the first time gets its own
 * section at the end of the doc.
 */
export function writeResults(file: string, report: string, nodeVersion: string): void {
  const major = /^v?(\d+)/.exec(nodeVersion)?.[1] ?? nodeVersion;
  const start = `<!-- bench:results:node${major}:start -->`;
  const end = `<!-- bench:results:node${major}:end -->`;
  const doc = readFileSync(file, 'utf8');
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 && to < 0) {
    writeFileSync(file, `${doc.trimEnd()}\n\n### Node ${major}\n\n${start}\n${report}\n${end}\n`);
    return;
  }
  if (from < 0 || to < from) throw new Error(`${file} has a broken results section for Node ${major}: expected ${start} ... ${end}`);
  writeFileSync(file, `${doc.slice(0, from + start.length)}\n${report}\n${doc.slice(to)}`);
}
