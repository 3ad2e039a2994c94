/**
 * The Keys page of a gateway with months of state: a usage log of 300,000 records on SQLite, a
 * thousand teams with budgets, and other dashboard readers keeping the log busy.
 *
 * Before its fix (found by a review of the admin plane at scale): the page read every team's
 * month from the log on every render, with no bound and nothing shared, and listed every team with
 * two forms each (977 KB for a page of fifty keys with a thousand teams); and when the log could
 * not answer (its queue of queries full: plugins/usage-logger/log/bounded-reads.ts), the whole page
 * failed with a 503, even after a key had been created, so the new key's secret, shown only in
 * that answer, was lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, dashboard, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { seedUsageLog } from '../support/seed-usage-log.js';

const ADMIN = 'keys-page-at-scale-admin-key-0123456789';
const bearer = { authorization: `Bearer ${ADMIN}` };
const form = { ...bearer, 'content-type': 'application/x-www-form-urlencoded' };
const TEAMS = 1000;

describe('the Keys page with a thousand teams and a busy usage log', () => {
  let upstream: MockUpstream;
  let gw: RunningGateway;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keys-page-at-scale-'));
    await seedUsageLog(join(dir, 'usage.sqlite'), { rows: 300_000, days: 5, teams: TEAMS, keys: 5_000 });
    upstream = await startMockUpstream();
    gw = await startGateway({
      store: `sqlite://${join(dir, 'gateway.sqlite')}`,
      server: { adminKey: ADMIN },
      providers: { mock: mockProvider(upstream) },
      plugins: [auth({ cacheTtlMs: 200 }), usageLogger({ url: `sqlite://${join(dir, 'usage.sqlite')}`, retentionDays: 365 }), dashboard()],
    });
    // A thousand team budgets as PUT /admin/teams stores them (one by one through the API they take a minute).
    const teams = gw.gateway.store.kv<Record<string, unknown>>('teams');
    await teams.set('budgets', Object.fromEntries(Array.from({ length: TEAMS }, (_, i) => [`team-${i}`, { monthlyUsd: 100 }])));
    await teams.set('version', `seeded-${Date.now()}`);
    // auth reads stored team budgets again within its cache time (200 ms here).
    for (let tries = 0; ; tries++) {
      const listed = (await (await fetch(`${gw.url}/admin/teams`, { headers: bearer })).json()) as { data: unknown[] };
      if (listed.data.length === TEAMS) break;
      if (tries > 50) throw new Error(`the stored team budgets were not read: ${listed.data.length} teams`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Dashboard readers (Logs page searches: each a scan of the log) that keep the log's queue of
   * queries full: forty at a time, each sent again when answered (or refused), until stopped.
   */
  const busyReaders = async () => {
    let stopped = false;
    const readers = Array.from({ length: 40 }, async () => {
      while (!stopped) await fetch(`${gw.url}/dashboard/logs?team=nobody`, { headers: bearer }).then((r) => r.text());
    });
    await new Promise((r) => setTimeout(r, 300));
    return () => {
      stopped = true;
      return Promise.all(readers);
    };
  };

  it('shows the Keys page while the usage log is busy, saying the teams’ usage is not there', async () => {
    const stopReaders = await busyReaders();
    const res = await fetch(`${gw.url}/dashboard/keys`, { headers: bearer });
    const html = await res.text();
    await stopReaders();
    expect(res.status).toBe(200);
    // The first read of this month's teams: refused by the busy log, or still waiting in its queue.
    expect(html).toMatch(/still being read from the usage log|The usage log did not answer/);
    // The budgets, which are not the log's, are listed meanwhile.
    expect(html).toContain('id="team-team-0"');
  }, 60_000);

  it("shows a created key's secret while the usage log is too busy to answer", async () => {
    const stopReaders = await busyReaders();
    const res = await fetch(`${gw.url}/dashboard/keys`, { method: 'POST', headers: form, body: new URLSearchParams({ name: 'made-while-busy' }).toString() });
    const html = await res.text();
    await stopReaders();
    const listed = (await (await fetch(`${gw.url}/admin/keys?limit=5`, { headers: bearer })).json()) as { data: Array<{ name: string }> };
    expect(listed.data.map((k) => k.name)).toContain('made-while-busy');
    expect(res.status, 'the key was made: its secret, shown only in this answer, must reach the operator').toBe(200);
    expect(html).toMatch(/<code id="new-secret">[^<]+<\/code>/);
    expect(html).toContain('made-while-busy');
  }, 60_000);

  it('lists a thousand teams a hundred a page, with their budgets and links between the pages', async () => {
    // Once the month's figures are read (the busiest teams first), so that both pages list the teams in one order.
    let first = '';
    for (let tries = 0; tries < 100 && !first.includes('from the usage log as of'); tries++) {
      if (tries > 0) await new Promise((r) => setTimeout(r, 100));
      first = await (await fetch(`${gw.url}/dashboard/keys`, { headers: bearer })).text();
    }
    expect(first.length, 'a page of keys with a hundred teams').toBeLessThan(200_000);
    expect(first.match(/<tr id="team-/g)).toHaveLength(100);
    expect(first).toContain('Teams 1–100 of 1000');
    const more = /href="([^"]+teamsFrom=100)" rel="next">More teams/.exec(first);
    expect(more, 'a link to the next hundred').not.toBeNull();
    const second = await (await fetch(new URL(more![1]!.replaceAll('&amp;', '&'), gw.url), { headers: bearer })).text();
    expect(second).toContain('Teams 101–200 of 1000');
    expect(second.match(/<tr id="team-/g)).toHaveLength(100);
    const firstTeams = new Set([...first.matchAll(/<tr id="team-([^"]+)"/g)].map((m) => m[1]));
    expect([...second.matchAll(/<tr id="team-([^"]+)"/g)].some((m) => firstTeams.has(m[1])), 'no team on both pages').toBe(false);
    // A row's budget as the budget counts it.
    expect(first).toMatch(/\$0\.0000 \/ \$100/);
    // Past the last team: the first page.
    expect(await (await fetch(`${gw.url}/dashboard/keys?teamsFrom=5000`, { headers: bearer })).text()).toContain('Teams 1–100 of 1000');
  }, 60_000);

  it("shows, after a team's budget is changed, the page that team is on", async () => {
    const res = await fetch(`${gw.url}/dashboard/teams`, { method: 'POST', headers: form, body: new URLSearchParams({ team: 'team-999', monthlyUsd: '7' }).toString() });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('budget saved');
    expect(html).toMatch(/<tr id="team-team-999">[\s\S]*?name="monthlyUsd" value="7"/);
  }, 60_000);
});
