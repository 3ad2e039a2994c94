/**
 * `/admin/usage` (aggregates by provider, model, key or team over time; JSON, or CSV with
 * `format=csv`), `/admin/logs` and `/admin/logs/export` (every matching record, as NDJSON or CSV)
 * (filtered, cursor-paginated records). With gateway:auth they need the admin key, like every
 * `/admin/*` route; without it the gateway is open, these routes included.
 */
import { invalidRequest, utcTime, type PluginHost } from 'llm-gateway/plugin';
import { usageColumns, usageCsv } from './csv.js';
import { exportFormat, exportMax, exportRecords } from './export.js';
import { decodeCursor } from './log/queries.js';
import { USAGE_CACHE_STATES, type UsageCacheState, type UsageOutcome } from './log/record.js';
import type { LogQuery, StatusClass, UsageBucket, UsageGroupKey, UsageLog, UsageQuery } from './log/usage-log.js';

const GROUP_KEYS: readonly UsageGroupKey[] = ['provider', 'model', 'keyId', 'team'];
const DAY = 86_400_000;
/**
 * Groups `/admin/usage` answers at most: every group is a row read into memory and sent (a key and
 * a minute each, over a month of many keys, would be millions).
 */
const MAX_USAGE_GROUPS = 10_000;

export function addUsageRoutes(host: PluginHost, log: UsageLog): void {
  host.route({
    method: 'GET',
    path: '/admin/usage',
    handler: async (http) => {
      const q = singleValues(http.query);
      const to = date(q.to, 'to') ?? new Date();
      const from = date(q.from, 'from') ?? new Date(to.getTime() - 7 * DAY);
      const groupBy = (q.groupBy ?? 'provider,model').split(',').filter(Boolean);
      const unknown = groupBy.filter((g) => !(GROUP_KEYS as readonly string[]).includes(g));
      if (unknown.length > 0) throw invalidRequest(`groupBy accepts ${GROUP_KEYS.join(', ')} (found ${unknown.join(', ')}).`, 'groupBy');
      if (q.bucket !== undefined && !['minute', 'hour', 'day'].includes(q.bucket)) throw invalidRequest("bucket must be 'minute', 'hour' or 'day'.", 'bucket');
      if (q.format !== undefined && !['json', 'csv'].includes(q.format)) throw invalidRequest("format must be 'json' or 'csv'.", 'format');
      const query: UsageQuery = {
        from,
        to,
        groupBy: groupBy as UsageGroupKey[],
        ...(q.bucket ? { bucket: q.bucket as UsageBucket } : {}),
        ...(q.percentiles === 'true' ? { percentiles: true } : {}),
        ...filters(q),
        maxGroups: MAX_USAGE_GROUPS + 1,
      };
      const data = await log.aggregate(query);
      if (data.length > MAX_USAGE_GROUPS) {
        throw invalidRequest(
          `The query has more than ${MAX_USAGE_GROUPS.toLocaleString('en-US')} groups: narrow from and to, take a coarser bucket, group by fewer keys, or filter (keyId, team, provider, model).`,
          'groupBy',
          'too_many_groups',
        );
      }
      if (q.format === 'csv') {
        http.type = 'text/csv; charset=utf-8';
        http.set('content-disposition', `attachment; filename="usage-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}.csv"`);
        http.body = usageCsv(data, usageColumns(query));
        return;
      }
      http.body = { object: 'usage', from: from.toISOString(), to: to.toISOString(), groupBy, data };
    },
  });

  host.route({
    method: 'GET',
    path: '/admin/logs/export',
    handler: async (http) => {
      const q = singleValues(http.query);
      // An export starts at the newest record and goes on to `max`: it has no pages to ask for.
      for (const param of ['cursor', 'limit'] as const) if (q[param] !== undefined) throw invalidRequest(`The export takes no ${param}: it sends every matching record, up to max.`, param);
      const format = exportFormat(q.format);
      const max = exportMax(q.max);
      const body = await exportRecords(log, logFilters(q), format, max, host.logger);
      http.type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8';
      http.set('content-disposition', `attachment; filename="logs-${new Date().toISOString().slice(0, 19).replaceAll(':', '-')}.${format}"`);
      http.body = body;
    },
  });

  host.route({
    method: 'GET',
    path: '/admin/logs',
    handler: async (http) => {
      const q = singleValues(http.query);
      const limit = q.limit === undefined ? undefined : Number(q.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 500)) throw invalidRequest('limit must be an integer from 1 to 500.', 'limit');
      if (q.bodies !== undefined && q.bodies !== 'true' && q.bodies !== 'false') throw invalidRequest("bodies must be 'true' or 'false'.", 'bodies');
      const query: LogQuery = {
        ...logFilters(q),
        ...(q.cursor ? { cursor: q.cursor } : {}),
        ...(limit ? { limit } : {}),
        ...(q.bodies === 'false' ? { bodies: false } : {}),
      };
      // Only the cursor's reading is the client's to mend: a database that fails is a 5xx, cursor or not.
      if (q.cursor) {
        try {
          decodeCursor(q.cursor);
        } catch (error) {
          throw invalidRequest(`The cursor is not one this API gave out (${(error as Error).message}).`, 'cursor');
        }
      }
      const page = await log.list(query);
      http.body = { object: 'list', data: page.records, next_cursor: page.nextCursor };
    },
  });
}

/** What `/admin/logs` and its export filter by: who, what, when and how it went. */
export function logFilters(q: Record<string, string | undefined>): LogQuery {
  if (q.status !== undefined && !/^[2-5]xx$/.test(q.status)) throw invalidRequest("status must be a class such as '2xx' or '5xx'.", 'status');
  if (q.outcome !== undefined && !['ok', 'error', 'client_aborted'].includes(q.outcome)) throw invalidRequest("outcome must be 'ok', 'error' or 'client_aborted'.", 'outcome');
  if (q.cache !== undefined && !(USAGE_CACHE_STATES as readonly string[]).includes(q.cache)) throw invalidRequest(`cache must be one of ${USAGE_CACHE_STATES.map((state) => `'${state}'`).join(', ')}.`, 'cache');
  const from = date(q.from, 'from');
  const to = date(q.to, 'to');
  return {
    ...filters(q),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(q.status ? { statusClass: q.status as StatusClass } : {}),
    ...(q.outcome ? { outcome: q.outcome as UsageOutcome } : {}),
    ...(q.cache ? { cache: q.cache as UsageCacheState } : {}),
    ...(q.requestId ? { requestId: q.requestId } : {}),
  };
}

function filters(q: Record<string, string | undefined>) {
  return {
    ...(q.keyId ? { keyId: q.keyId } : {}),
    ...(q.team ? { team: q.team } : {}),
    ...(q.provider ? { provider: q.provider } : {}),
    ...(q.model ? { model: q.model } : {}),
  };
}

function date(value: string | undefined, param: string): Date | undefined {
  if (value === undefined) return undefined;
  const time = utcTime(value);
  if (!Number.isFinite(time)) throw invalidRequest(`${param} must be a date (found '${value}').`, param);
  return new Date(time);
}

/**
 * The query's values, each given once: Koa makes a parameter given twice (`?groupBy=a&groupBy=b`)
 * an array, which no filter here means, and which reached the database as a value to compare.
 */
function singleValues(query: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value)) throw invalidRequest(`${name} may be given once (found ${value.length} values); groupBy takes a comma-separated list.`, name);
  }
  return query as Record<string, string | undefined>;
}
