/** Usage aggregates as CSV: the columns a query asked for, RFC 4180 quoting, and no formula a spreadsheet would run. */
import { describe, expect, it } from 'vitest';
import { usageColumns, usageCsv } from '../../../plugins/usage-logger/csv.js';
import type { UsageAggregate } from '../../../plugins/usage-logger/log/usage-log.js';

const measures = { requests: 3, errors: 1, cacheHits: 0, promptTokens: 30, completionTokens: 12, cachedTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0, costUsd: 0.0012, unpricedRequests: 0, avgLatencyMs: 41.5, avgTtftMs: null, p50LatencyMs: null, p95LatencyMs: null, p50TtftMs: null, p95TtftMs: null };

describe('usage as CSV', () => {
  it('has the bucket, the groups in the order asked, then every measure; percentiles only when asked', () => {
    expect(usageColumns({ groupBy: ['team', 'model'], bucket: 'day' }).slice(0, 4)).toEqual(['bucket', 'team', 'model', 'requests']);
    expect(usageColumns({ groupBy: [] })).not.toContain('bucket');
    expect(usageColumns({ groupBy: [] })).not.toContain('p95LatencyMs');
    expect(usageColumns({ groupBy: [], percentiles: true }).slice(-4)).toEqual(['p50LatencyMs', 'p95LatencyMs', 'p50TtftMs', 'p95TtftMs']);
  });

  it('writes dates as ISO, null as empty, quotes what needs it, and defuses formulas', () => {
    const rows: UsageAggregate[] = [
      { bucket: new Date('2026-12-05T00:00:00Z'), team: 'search, "core"', model: '=HYPERLINK("http://evil")', ...measures },
      { bucket: new Date('2026-12-06T00:00:00Z'), team: null, model: '-2+3', ...measures, errors: 0 },
      { bucket: new Date('2026-12-07T00:00:00Z'), team: 'line\nbreak', model: '@SUM(A1)', ...measures },
    ];
    const csv = usageCsv(rows, usageColumns({ groupBy: ['team', 'model'], bucket: 'day' }));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('bucket,team,model,requests,errors,cacheHits,promptTokens,completionTokens,cachedTokens,cacheWriteTokens,cacheWrite1hTokens,reasoningTokens,costUsd,unpricedRequests,avgLatencyMs,avgTtftMs');
    expect(lines[1]).toBe(`2026-12-05T00:00:00.000Z,"search, ""core""","'=HYPERLINK(""http://evil"")",3,1,0,30,12,0,0,0,0,0.0012,0,41.5,`);
    expect(lines[2]).toBe("2026-12-06T00:00:00.000Z,,'-2+3,3,0,0,30,12,0,0,0,0,0.0012,0,41.5,");
    expect(lines[3]).toBe(`2026-12-07T00:00:00.000Z,"line\nbreak",'@SUM(A1),3,1,0,30,12,0,0,0,0,0.0012,0,41.5,`);
    expect(csv.endsWith('\r\n')).toBe(true);
  });
});
