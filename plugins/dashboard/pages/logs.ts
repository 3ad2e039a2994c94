/**
 * Logs: the usage log's records, filtered by time, provider, model, key, team, status, outcome and
 * cache, newest first, a page at a time (the cursor is the database's, so paging stays cheap), and
 * one record in detail: its attempts as a timeline and its bodies as the logger kept them (capped
 * and redacted before they were stored).
 */
import type { Context as KoaContext } from 'koa';
import { utcTime } from 'llm-gateway/plugin';
import { usageLogService, type LogQuery, type UsageRecord } from 'llm-gateway/plugins/usage-logger';
import type { PageKit } from '../kit.js';

const FILTERS = ['from', 'to', 'provider', 'model', 'keyId', 'team', 'status', 'outcome', 'cache'] as const;
const PAGE = 50;

export function logPages(kit: PageKit) {
  const { host } = kit;

  return {
    async list(http: KoaContext) {
      const log = host.tryResolve(usageLogService);
      const q = Object.fromEntries(FILTERS.map((f) => [f, typeof http.query[f] === 'string' ? (http.query[f] as string).trim() : ''])) as Record<(typeof FILTERS)[number], string>;
      const problems: string[] = [];
      const date = (value: string, name: string) => {
        if (!value) return undefined;
        const time = utcTime(value);
        if (!Number.isFinite(time)) problems.push(`${name} is not a date`);
        return Number.isFinite(time) ? new Date(time) : undefined;
      };
      const from = date(q.from, 'from');
      const to = date(q.to, 'to');
      const query: LogQuery = {
        limit: PAGE,
        // The list shows no bodies (a record's own page does): not read, not held.
        bodies: false,
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        ...(q.provider ? { provider: q.provider } : {}),
        ...(q.model ? { model: q.model } : {}),
        ...(q.keyId ? { keyId: q.keyId } : {}),
        ...(q.team ? { team: q.team } : {}),
        ...(/^[2-5]xx$/.test(q.status) ? { statusClass: q.status as LogQuery['statusClass'] } : {}),
        ...(['ok', 'error', 'client_aborted'].includes(q.outcome) ? { outcome: q.outcome as LogQuery['outcome'] } : {}),
        ...(['hit', 'miss', 'none'].includes(q.cache) ? { cache: q.cache as LogQuery['cache'] } : {}),
        ...(typeof http.query.cursor === 'string' && http.query.cursor ? { cursor: http.query.cursor } : {}),
      };
      let page: { records: UsageRecord[]; nextCursor: string | null } = { records: [], nextCursor: null };
      if (log && problems.length === 0) {
        page = await log.list(query).catch((error: Error) => {
          problems.push(query.cursor ? 'that page link is no longer valid' : error.message);
          return page;
        });
      }
      const filters = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== ''));
      const next = page.nextCursor ? `${kit.base}/logs?${new URLSearchParams([...filters, ['cursor', page.nextCursor]])}` : undefined;
      // Every record these filters match, as a file (the admin API's export), the dates as the page read them (UTC).
      const { limit: _limit, cursor: _cursor, bodies: _bodies, statusClass, ...matching } = query;
      const exported = new URLSearchParams(
        Object.entries({ ...matching, ...(statusClass ? { status: statusClass } : {}) }).map(([name, value]): [string, string] => [name, value instanceof Date ? value.toISOString() : String(value)]),
      );
      const exportOf = (format: 'csv' | 'ndjson') => `/admin/logs/export?${new URLSearchParams([...exported, ['format', format]])}`;
      await kit.page(http, 'logs', {
        title: 'Logs',
        active: 'logs',
        log: log !== undefined,
        q,
        records: page.records.map(row),
        next,
        first: query.cursor ? `${kit.base}/logs?${filters}` : undefined,
        exports: problems.length === 0 && page.records.length > 0 ? { csv: exportOf('csv'), ndjson: exportOf('ndjson') } : undefined,
        error: problems.join('; ') || undefined,
      });
    },

    async detail(http: KoaContext) {
      const log = host.tryResolve(usageLogService);
      const id = String(http.params.id);
      const record = log ? (await log.list({ requestId: id, limit: 1 })).records[0] : undefined;
      if (!record) http.status = 404;
      // Tries run one after another: each bar starts where the ones before it ended (backoff waits are not recorded).
      const tries = record?.attempts ?? [];
      const total = Math.max(1, record?.latencyMs ?? 0, tries.reduce((sum, a) => sum + (a.latencyMs ?? 0), 0));
      let offset = 0;
      await kit.page(http, 'log', {
        title: `Request ${id}`,
        active: 'logs',
        id,
        record: record && row(record),
        attempts: tries.map((a, i) => {
          const startPct = Math.round((offset / total) * 100);
          offset += a.latencyMs ?? 0;
          return { ...a, n: i + 1, startPct, widthPct: Math.max(1, Math.min(100 - startPct, Math.round(((a.latencyMs ?? 0) / total) * 100))) };
        }),
        requestBody: pretty(record?.requestBody ?? null),
        responseBody: pretty(record?.responseBody ?? null),
        metadata: record?.metadata ? JSON.stringify(record.metadata, null, 2) : null,
      });
    },
  };
}

function row(r: UsageRecord) {
  return {
    ...r,
    time: r.startedAt.toISOString().replace('T', ' ').slice(0, 19),
    served: r.provider ? `${r.provider}/${r.model ?? '?'}` : '—',
    cost: r.costUsd === null ? '—' : `$${r.costUsd.toFixed(6)}`,
    tokens: r.promptTokens + r.completionTokens,
    attemptsCount: r.attempts.length,
  };
}

/** A JSON body indented for reading; anything else as it was kept. */
function pretty(body: string | null): string | null {
  if (body === null) return null;
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
