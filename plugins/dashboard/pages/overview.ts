/**
 * Overview: requests, tokens, cost, error rate, latency (p50/p95), time to first token and cache
 * hit rate over the last hour, day or 30 days, as totals, charts per time bucket, and a table per
 * provider and model. The body refreshes itself with one request (`/dashboard/overview/body`).
 */
import type { Context as KoaContext } from 'koa';
import { usageLogService, type UsageAggregate, type UsageBucket } from 'llm-gateway/plugins/usage-logger';
import { barChart } from '../charts.js';
import type { PageKit } from '../kit.js';
import { SharedFigures } from '../shared-figures.js';

const RANGES: Record<string, { label: string; ms: number; bucket: UsageBucket }> = {
  '1h': { label: 'last hour', ms: 3_600_000, bucket: 'minute' },
  '24h': { label: 'last day', ms: 86_400_000, bucket: 'hour' },
  '30d': { label: 'last 30 days', ms: 30 * 86_400_000, bucket: 'day' },
};
type Figures = { log: boolean; totals?: ReturnType<typeof summary>; charts?: string[]; rows?: unknown[]; moreRows?: boolean; unanswered?: string };

/** Figures that took at least this long to compute are shared for longer (`recent`). */
const SLOW_FIGURES_MS = 1_000;
const MAX_SHARE_MS = 60_000;
/** Provider and model pairs the Overview lists, the busiest first. */
const MODEL_ROWS = 100;

const BUCKET_MS: Record<UsageBucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export function overviewPages(kit: PageKit) {
  const { host } = kit;

  /**
   * The usage figures of each range, shared while they are computed and for a few seconds after:
   * every open tab refreshes, and the percentiles sort the range, so ten tabs must not mean ten
   * sorts. Figures that took a while are shared for a refresh and twice their cost: one open tab
   * made a log of 300,000 rows compute its 3 s of queries every 10 s, a third of a core for good.
   */
  const recent = new SharedFigures<Figures>((_figures, cost) => (cost < SLOW_FIGURES_MS ? kit.shareMs : Math.min(MAX_SHARE_MS, Math.max(kit.shareMs, kit.refreshMs + 2 * cost))), Object.keys(RANGES).length);
  const figuresOf = (rangeKey: string): Promise<Figures> => recent.of(rangeKey, () => computeFigures(rangeKey));

  async function computeFigures(rangeKey: string): Promise<Figures> {
    const range = RANGES[rangeKey]!;
    const log = host.tryResolve(usageLogService);
    if (!log) return { log: false };
    const to = new Date();
    const from = new Date(to.getTime() - range.ms);
    const [totals, series, byModel] = await Promise.all([
      log.aggregate({ from, to, percentiles: true }),
      log.aggregate({ from, to, bucket: range.bucket }),
      // The busiest pairs (a log of many hosts and models had 1,200: 245 KB on every refresh); the CSV has them all.
      log.aggregate({ from, to, groupBy: ['provider', 'model'], percentiles: true, maxGroups: MODEL_ROWS + 1 }),
    ]);
    const total = totals[0];
    const buckets = bucketsOf(from, to, range.bucket, series);
    const label = (d: Date) => (range.bucket === 'day' ? d.toISOString().slice(5, 10) : range.bucket === 'hour' ? d.toISOString().slice(5, 16).replace('T', ' ') : d.toISOString().slice(11, 16));
    const labels = buckets.map((b) => label(b.at));
    const charts = [
      barChart({ title: 'Requests', labels, series: [{ name: 'ok', colour: '#3b82f6', values: buckets.map((b) => (b.row ? b.row.requests - b.row.errors : 0)) }, { name: 'errors', colour: '#dc2626', values: buckets.map((b) => b.row?.errors ?? 0) }] }),
      barChart({ title: 'Tokens', labels, series: [{ name: 'prompt', colour: '#6366f1', values: buckets.map((b) => b.row?.promptTokens ?? 0) }, { name: 'completion', colour: '#14b8a6', values: buckets.map((b) => b.row?.completionTokens ?? 0) }] }),
      barChart({ title: 'Cost (USD)', labels, series: [{ name: 'cost', colour: '#f59e0b', values: buckets.map((b) => b.row?.costUsd ?? 0) }], format: usd }),
    ];
    return {
      log: true,
      totals: total ? summary(total) : undefined,
      charts,
      rows: byModel.slice(0, MODEL_ROWS).map((row) => ({ provider: row.provider ?? '—', model: row.model ?? '—', ...summary(row) })),
      moreRows: byModel.length > MODEL_ROWS,
    };
  }

  async function data(http: KoaContext) {
    const rangeKey = typeof http.query.range === 'string' && http.query.range in RANGES ? http.query.range : '24h';
    const panels = await Promise.all(host.panels().map(async (p) => ({ id: p.id, title: p.title, html: await Promise.resolve(p.render()).catch((e: Error) => `<p>(failed: ${e.message.replace(/[<&]/g, '')})</p>`) })));
    const range = RANGES[rangeKey]!;
    // The range's usage by provider, model, key and team, bucket by bucket, for a spreadsheet (the
    // admin API's CSV): in the refreshed part, so that its range starts where the figures' does.
    const csv = new URLSearchParams({ format: 'csv', groupBy: 'provider,model,keyId,team', bucket: range.bucket, from: new Date(Date.now() - range.ms).toISOString() });
    const base = { rangeKey, ranges: Object.entries(RANGES).map(([key, r]) => ({ key, label: r.label })), csvHref: host.tryResolve(usageLogService) ? `/admin/usage?${csv}` : undefined, panels, refreshedAt: new Date().toISOString().slice(11, 19) };
    // A log that cannot answer for this range (busy, or its query ran past its bound: a month of a
    // large SQLite log) is said on the page, which still shows the rest and refreshes.
    const figures = await figuresOf(rangeKey).catch((error: Error): Figures => ({ log: true, unanswered: error.message }));
    return { ...base, ...figures };
  }

  return {
    async page(http: KoaContext) {
      await kit.page(http, 'overview', { title: 'Overview', active: 'overview', ...(await data(http)) });
    },
    /** The refreshed part alone: one request per refresh. */
    async body(http: KoaContext) {
      await kit.page(http, 'overview-body', { ...(await data(http)) });
    },
  };
}

function summary(row: UsageAggregate) {
  return {
    requests: row.requests,
    tokens: row.promptTokens + row.completionTokens,
    promptTokens: row.promptTokens,
    completionTokens: row.completionTokens,
    cost: usd(row.costUsd),
    unpriced: row.unpricedRequests,
    errorRate: pct(row.errors / row.requests),
    p50: ms(row.p50LatencyMs),
    p95: ms(row.p95LatencyMs),
    ttft: ms(row.p50TtftMs),
    ttftP95: ms(row.p95TtftMs),
    cacheHitRate: pct(row.cacheHits / row.requests),
  };
}

function bucketsOf(from: Date, to: Date, unit: UsageBucket, rows: UsageAggregate[]) {
  const size = BUCKET_MS[unit];
  const byStart = new Map(rows.map((r) => [r.bucket!.getTime(), r]));
  const out: Array<{ at: Date; row: UsageAggregate | undefined }> = [];
  for (let t = Math.floor(from.getTime() / size) * size; t < to.getTime(); t += size) out.push({ at: new Date(t), row: byStart.get(t) });
  return out;
}

const usd = (v: number) => `$${v < 0.01 && v > 0 ? v.toFixed(6) : v.toFixed(2)}`;
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '—');
const ms = (v: number | null) => (v === null || !Number.isFinite(v) ? '—' : `${Math.round(v)} ms`);
