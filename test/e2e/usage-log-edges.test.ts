/**
 * gateway:usage-logger where a record could be lost or wrong: one client id sent twice, semantic
 * cache hits counted and filtered, redaction that must leave JSON numbers valid and must see a
 * secret the cap cuts, and a query parameter given twice. Each case names the behaviour it
 * expects. SQLite always; PostgreSQL when DATABASE_URL is set (a throwaway schema).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, cost, tokenCounter, usageLogger, usageLogService, type UsageRecord } from '../../index.js';
import { silentLogger } from '../../core/logger.js';
import { logFilters } from '../../plugins/usage-logger/admin-routes.js';
import { createRedactor } from '../../plugins/usage-logger/redact.js';
import { openUsageLog } from '../../plugins/usage-logger/log/open-usage-log.js';
import type { UsageLog } from '../../plugins/usage-logger/log/usage-log.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';
import { DAY1, HOUR, usageRecord } from '../plugins/usage-logger/log/records.js';

const DATABASE_URL = process.env.DATABASE_URL;
const run = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
const schemas: string[] = [];
const freshSchema = () => {
  const schema = `usage_review4_${run}_${schemas.length + 1}`;
  schemas.push(schema);
  return schema;
};
afterAll(async () => {
  if (!DATABASE_URL || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(schemas.map((schema) => `DROP SCHEMA IF EXISTS "${schema}" CASCADE`).join('; '));
  } finally {
    await client.end();
  }
});

const backends: Array<[string, () => Promise<UsageLog>]> = [
  ['sqlite', () => openUsageLog('sqlite::memory:', { logger: silentLogger, batch: { maxWaitMs: 60_000 } })],
  ...(DATABASE_URL ? [['postgres', () => openUsageLog(DATABASE_URL, { logger: silentLogger, batch: { maxWaitMs: 60_000 }, schema: freshSchema() })] as [string, () => Promise<UsageLog>]] : []),
];

describe.each(backends)('usage log on %s', (_name, open) => {
  let log: UsageLog;
  beforeAll(async () => {
    log = await open();
  });
  afterAll(() => log?.close());

  // An answer from the semantic cache is an answer from the response cache (record.ts: "`hit` and
  // `semantic-hit` mark an answer from the response cache"; UsageAggregate.cacheHits: "Requests
  // answered from a cache"). The aggregate counts only `cache = 'hit'`, so a gateway serving from
  // its semantic cache reports 0 cache hits on /admin/usage and the dashboard.
  it('counts semantic-cache hits in cacheHits', async () => {
    log.write(usageRecord({ startedAt: new Date(DAY1 + HOUR), keyId: 'sem', cache: 'hit', costUsd: 0 }));
    log.write(usageRecord({ startedAt: new Date(DAY1 + HOUR), keyId: 'sem', cache: 'semantic-hit', costUsd: 0 }));
    log.write(usageRecord({ startedAt: new Date(DAY1 + HOUR), keyId: 'sem', cache: 'miss' }));
    await log.flush();
    const [row] = await log.aggregate({ from: new Date(DAY1), to: new Date(DAY1 + 2 * HOUR), groupBy: [], keyId: 'sem' });
    expect(row!.requests).toBe(3);
    expect(row!.cacheHits).toBe(2);
  });
});

describe('admin filters', () => {
  // The log records cache states `semantic-hit`, `refresh` and `skip` (UsageCacheState), but
  // /admin/logs and its export refuse them as a filter (400), so an operator cannot list the
  // requests the semantic cache answered. Expected: every state the log records can be filtered on.
  it('accepts every cache state the log records as a /admin/logs filter', () => {
    for (const cache of ['semantic-hit', 'refresh', 'skip']) expect(() => logFilters({ cache }), cache).not.toThrow();
  });
});

describe('redaction', () => {
  // A phone number is "one written with a `+` or a separator" (docs/keys-and-usage.md) and "a bare
  // run of digits is left alone, since in a body it is far more often a JSON number". A JSON float
  // with enough digits (a logprob, a coordinate, an embedding value) matches the phone pattern (the
  // decimal point counts as a separator) and is replaced by `[REDACTED:phone]`, which leaves the
  // stored body invalid JSON: `{"logprob":-[REDACTED:phone]}`.
  it('leaves JSON numbers with decimals alone (the body stays valid JSON)', () => {
    const redact = createRedactor();
    for (const body of ['{"logprob":-11.234567}', '{"lat":37.7749295,"lng":-122.4194155}', '{"score":12.3456789}']) {
      expect(redact(body), body).toBe(body);
    }
  });
});

describe('through the gateway', () => {
  const ADMIN = 'usage-review-admin-0123456789';
  let upstream: MockUpstream;
  let gw: RunningGateway;
  let secret: string;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    gw = await startGateway({
      usageLog: 'sqlite::memory:',
      providers: { mock: mockProvider(upstream) },
      plugins: [
        auth({ adminKey: ADMIN }),
        tokenCounter({ preload: false }),
        cost({ prices: { 'mock/mock-small': { input: 1, output: 2 } } }),
        usageLogger({ bodies: { request: true, response: true, maxBytes: 200 } }),
      ],
    });
    const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'review' }) });
    ({ secret } = (await res.json()) as { secret: string });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const chat = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const admin = (path: string) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });

  // The gateway keeps a client's `x-request-id` as the record's id (docs: "Ids your clients send
  // in `x-request-id` are kept as they are"), and the table's primary key is that id with ON
  // CONFLICT DO NOTHING. Two requests that carry the same id (an SDK or proxy reusing its trace id
  // on a retry, or a client doing so on purpose) leave one record: the second request, served and
  // billed upstream, vanishes from /admin/usage and every chargeback. Expected: one record a request.
  it('keeps one record per request even when two requests send the same x-request-id', async () => {
    const id = `dup-${run}`;
    for (let i = 0; i < 2; i++) {
      const res = await chat({ model: 'mock/mock-small', messages: [{ role: 'user', content: `hello ${i}` }] }, { 'x-request-id': id });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    await usageRecordOf(gw, id);
    const log = gw.gateway.tryResolve(usageLogService)!;
    await log.flush();
    const [row] = await log.aggregate({ from: new Date(Date.now() - HOUR), to: new Date(Date.now() + HOUR), groupBy: [] });
    expect(row!.requests).toBe(2);
  });

  // A repeated query parameter (`?groupBy=provider&groupBy=model`, as URLSearchParams.append or
  // many HTTP clients build a list) reaches the handler as an array; `.split` on it throws a
  // TypeError, answered 500. Expected: a 400 in OpenAI's error format, like every other bad input.
  it('answers a repeated groupBy with a 400, not a 500', async () => {
    const res = await admin('/admin/usage?groupBy=provider&groupBy=model');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  // docs/keys-and-usage.md: bodies are "capped at `maxBytes` and **redacted** first". The code caps
  // first and redacts what is left (index.ts: `redact(cap(text, maxBytes))`, and the client's text
  // is capped at request:start), so an email or key straddling the cap loses the part the pattern
  // needs (the TLD, the 16th character) and its first part is stored in clear.
  it('redacts an email that straddles the body cap rather than storing its first part', async () => {
    const prefix = JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: '' }] }).length;
    const content = `${'x'.repeat(200 - prefix - 20)} write to jane.roe.secret@example.com please`;
    const res = await chat({ model: 'mock/mock-small', messages: [{ role: 'user', content }] });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const record: UsageRecord = await usageRecordOf(gw, res.headers.get('x-request-id')!);
    expect(record.requestBody).toContain('…[truncated]');
    expect(record.requestBody).not.toContain('jane.roe');
  });
});
