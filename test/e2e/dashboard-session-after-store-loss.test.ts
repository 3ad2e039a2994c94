/**
 * An operator logs out of the dashboard (or logs out a session whose cookie was copied: another
 * tab, a shared machine, someone who took it), and later Redis loses its data: restarted without
 * persistence, flushed, or rolled back to an older snapshot.
 *
 * Before its fix a logout was a deny-list entry in the store (`ended:<session id>`) and the signed
 * cookie stayed valid for its whole 8 h: with the store's data gone, the logout was forgotten and
 * the logged-out cookie was an admin session again (200 on /admin/config: keys, live config,
 * provider secrets) on every replica that asked the store about it. A store that did not answer
 * let every validly signed cookie in, ended or not, on a replica that had not seen it end.
 *
 * Now a session is valid only while its record is in the store (written at login, deleted at
 * logout): a store that lost its data logs everyone out, to the login page (pages) or 401 (the
 * admin API, htmx actions), and logging in again works. A store that does not answer keeps a
 * session this replica saw live lately (a short outage does not lock the operator out) and
 * refuses any other. On the real Redis (db 13), behind a proxy that can stall it.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboard } from '../../index.js';
import { LiveSessions, type LiveRecords } from '../../plugins/dashboard/live-sessions.js';
import type { TypedKv } from '../../sdk/store.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startStallableProxy, type StallableProxy } from '../support/stallable-proxy.js';
import { logInWithFetch } from '../plugins/dashboard/login.js';
import { ownRedisDatabase } from '../support/redis-databases.js';

const REDIS_URL = process.env.REDIS_URL;
const ADMIN_KEY = 'store-loss-admin-key-0123456789';
if (!REDIS_URL) console.warn('REDIS_URL is not set: the dashboard session tests on Redis are skipped; .ci/run sets it.');

const form = (cookie: string) => ({ cookie, 'content-type': 'application/x-www-form-urlencoded' });
const config = (gw: RunningGateway, cookie: string) => fetch(`${gw.url}/admin/config`, { headers: { cookie } }).then((r) => r.status);
const logOut = (gw: RunningGateway, cookie: string, csrf: string) => fetch(`${gw.url}/dashboard/logout`, { method: 'POST', redirect: 'manual', headers: form(cookie), body: new URLSearchParams({ _csrf: csrf }) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!REDIS_URL)('dashboard sessions when Redis loses its data', () => {
  let upstream: MockUpstream;
  let proxy: StallableProxy;
  let redis: ReturnType<typeof createClient>;
  const running: RunningGateway[] = [];
  const direct = ownRedisDatabase(REDIS_URL ?? 'redis://x', 'dashboardSessionAfterStoreLoss');
  const start = async (store = direct) => {
    const gw = await startGateway({ store, server: { adminKey: ADMIN_KEY }, providers: { mock: mockProvider(upstream) }, plugins: [dashboard()] });
    running.push(gw);
    return gw;
  };

  beforeAll(async () => {
    redis = createClient({ url: direct });
    await redis.connect();
    await redis.flushDb();
    upstream = await startMockUpstream();
    const url = new URL(REDIS_URL!);
    proxy = await startStallableProxy(url.hostname, Number(url.port || 6379));
  });
  afterAll(async () => {
    proxy?.resume();
    await Promise.all(running.map((r) => r.close()));
    await proxy?.close();
    await upstream?.close();
    await redis?.flushDb().catch(() => undefined);
    await redis?.quit().catch(() => undefined);
  });

  it('keeps a logged-out cookie refused after a flush, on every replica, and logs out live sessions', async () => {
    const a = await start();
    const gone = await logInWithFetch(a.url, ADMIN_KEY);
    const kept = await logInWithFetch(a.url, ADMIN_KEY);
    expect(await config(a, gone.cookie!)).toBe(200);
    expect((await logOut(a, gone.cookie!, gone.csrf!)).status).toBe(303);
    const b = await start(); // another replica (or this one, restarted by a deploy)
    expect(await config(b, gone.cookie!)).toBe(401);
    expect(await config(b, kept.cookie!)).toBe(200);

    await redis.flushDb(); // Redis restarted without persistence
    const c = await start();
    // Before the fix: 200, the admin API open to the logged-out cookie again.
    expect(await config(c, gone.cookie!)).toBe(401);
    expect(await config(a, gone.cookie!)).toBe(401);
    // The price of failing safe: the session still in use is logged out too, as a logged-out one is.
    expect(await config(c, kept.cookie!)).toBe(401);
    const page = await fetch(`${c.url}/dashboard/keys`, { redirect: 'manual', headers: { cookie: kept.cookie! } });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toMatch(/^\/dashboard\/login\?next=/);
    const button = await fetch(`${c.url}/dashboard/cache/clear`, { method: 'POST', headers: { cookie: kept.cookie!, 'x-csrf-token': kept.csrf!, 'hx-request': 'true' } });
    expect(button.status).toBe(401);
    expect(button.headers.get('hx-redirect')).toBe('/dashboard/login');
    // A replica that confirmed it before the flush learns of it within its 5 s recheck.
    await expect.poll(() => config(b, kept.cookie!), { timeout: 10_000, interval: 500 }).toBe(401);
    expect(await config(b, gone.cookie!)).toBe(401);

    // Logging in again works, on every replica.
    const again = await logInWithFetch(c.url, ADMIN_KEY);
    expect(again.status).toBe(303);
    expect(await config(c, again.cookie!)).toBe(200);
    expect(await config(a, again.cookie!)).toBe(200);
    // The admin key itself is no session: unaffected.
    expect((await fetch(`${c.url}/admin/config`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status).toBe(200);
  }, 30_000);

  it('keeps a session it saw live through a store that does not answer, and refuses one it did not', async () => {
    await redis.flushDb();
    const a = await start(ownRedisDatabase(`redis://127.0.0.1:${proxy.port}`, 'dashboardSessionAfterStoreLoss'));
    const b = await start();
    const seen = await logInWithFetch(a.url, ADMIN_KEY);
    expect(await config(a, seen.cookie!)).toBe(200);
    const unseen = await logInWithFetch(b.url, ADMIN_KEY); // a session that replica a never checked
    const ended = await logInWithFetch(b.url, ADMIN_KEY);
    expect(await config(a, ended.cookie!)).toBe(200);
    expect((await logOut(b, ended.cookie!, ended.csrf!)).status).toBe(303);
    await expect.poll(() => config(a, ended.cookie!), { timeout: 10_000, interval: 500 }).toBe(401); // a has seen it end

    proxy.cut();
    proxy.stall();
    try {
      await sleep(5_500); // past a's recheck: it asks the store, which does not answer
      let started = performance.now();
      expect(await config(a, seen.cookie!)).toBe(200);
      expect(performance.now() - started).toBeLessThan(3_000);
      started = performance.now();
      expect(await config(a, unseen.cookie!)).toBe(401);
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(await config(a, ended.cookie!)).toBe(401);
    } finally {
      proxy.resume();
    }
    // Once the store answers again, it decides.
    await expect.poll(() => config(a, unseen.cookie!), { timeout: 15_000, interval: 500 }).toBe(200);
    expect(await config(a, seen.cookie!)).toBe(200);
  }, 40_000);
});

describe('a dashboard session while the store does not answer, on a clock', () => {
  it('stays live for the grace after the store last said so, then is refused; a logout here stays', async () => {
    let now = 1_000_000;
    let answering = true;
    const records = new Map<string, number>();
    const kv: TypedKv<LiveRecords> = {
      get: async (key) => (answering ? records.get(key) : new Promise<never>(() => undefined)),
      set: async (key, value) => (answering ? (records.set(key, value), true) : Promise.reject(new Error('down'))),
      delete: async (key) => (answering ? records.delete(key) : Promise.reject(new Error('down'))),
      deleteMany: async (keys) => (answering ? keys.map((key) => records.delete(key)).some(Boolean) : Promise.reject(new Error('down'))),
    };
    const logger = { debug() {}, info() {}, warn() {}, error() {} } as unknown as ConstructorParameters<typeof LiveSessions>[1];
    const live = new LiveSessions(kv, logger, 5_000, 60_000, () => now);
    const session = { id: 'one', expiresAt: now + 3_600_000 };
    await live.start(session);
    expect(await live.isLive(session)).toBe(true);
    // Not in the store (a login before the upgrade, or lost with its data): logged out.
    expect(await live.isLive({ id: 'old', expiresAt: now + 3_600_000 })).toBe(false);

    answering = false;
    now += 30_000;
    expect(await live.isLive(session)).toBe(true); // within the grace of its last confirmation
    expect(await live.isLive({ id: 'unconfirmed', expiresAt: now + 3_600_000 })).toBe(false);
    now += 31_000;
    expect(await live.isLive(session)).toBe(false); // the outage outlasted the grace

    answering = true;
    now += 6_000;
    expect(await live.isLive(session)).toBe(true); // the store answers again: its record decides
    await live.end(session);
    records.set('session:one', session.expiresAt); // a rollback to a snapshot from before the logout
    now += 60_000;
    expect(await live.isLive(session)).toBe(false);
  }, 10_000);
});
