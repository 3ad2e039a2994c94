/**
 * `GET /admin/keys` and the dashboard's Keys page a page at a time, on the SQLite store a default
 * install keeps keys in. Before: every key in one answer (and on one page of the dashboard, each
 * with its usage read), however many there were.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, dashboard } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'admin-keys-pages-admin-key-0123456789';
const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const KEYS = 120;

let dir: string;
let upstream: MockUpstream;
let gw: RunningGateway;
const made: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keys-pages-'));
  upstream = await startMockUpstream();
  gw = await startGateway({ store: `sqlite://${join(dir, 'gateway.sqlite')}`, server: { adminKey: ADMIN }, providers: { mock: mockProvider(upstream) }, plugins: [auth(), dashboard()] });
  for (let i = 0; i < KEYS; i++) {
    const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: `user-${String(i).padStart(3, '0')}` }) });
    made.push(((await res.json()) as { id: string }).id);
  }
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface KeyList {
  object: 'list';
  data: Array<{ id: string; name: string; hash?: string }>;
  has_more: boolean;
  next_cursor: string | null;
}
const list = async (query: string) => {
  const res = await fetch(`${gw.url}/admin/keys${query}`, { headers: admin });
  return { status: res.status, body: (await res.json()) as KeyList & { error?: { type: string; param: string | null; message: string } } };
};

describe('GET /admin/keys', () => {
  it('answers a hundred keys, newest first, and the cursor of the rest', async () => {
    const { status, body } = await list('');
    expect(status).toBe(200);
    expect(body.data).toHaveLength(100);
    expect(body.data[0]!.id).toBe(made.at(-1));
    expect(body.data.every((k) => k.hash === undefined)).toBe(true);
    expect(body.has_more).toBe(true);
    const rest = await list(`?cursor=${encodeURIComponent(body.next_cursor!)}`);
    expect(rest.body.data.map((k) => k.id)).toEqual(made.slice(0, 20).reverse());
    expect(rest.body).toMatchObject({ has_more: false, next_cursor: null });
  });

  it('pages by limit, every key once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const { status, body }: { status: number; body: KeyList } = await list(`?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      expect(body.data.length).toBeLessThanOrEqual(7);
      seen.push(...body.data.map((k) => k.id));
      cursor = body.next_cursor;
    } while (cursor !== null && seen.length <= KEYS);
    expect(seen).toEqual([...made].reverse());
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=1001', 'limit'],
    ['?limit=ten', 'limit'],
    ['?limit=2&limit=3', 'limit'],
    ['?cursor=nope', 'cursor'],
    ['?cursor=1&cursor=2', 'cursor'],
  ])('refuses %s with a 400 in the OpenAI error format', async (query, param) => {
    const { status, body } = await list(query);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param });
    expect(body.error!.message).toMatch(new RegExp(param));
  });
});

describe("the dashboard's Keys page", () => {
  const page = async (query = '') => {
    const res = await fetch(`${gw.url}/dashboard/keys${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    return res.text();
  };
  const names = (html: string) => [...html.matchAll(/<strong>(user-\d{3})<\/strong>/g)].map((m) => m[1]);
  const older = (html: string) => /href="[^"]*\/keys\?cursor=([^"]+)" rel="next"/.exec(html)?.[1];

  it('shows the fifty newest keys and links to the older ones, page by page', async () => {
    const first = await page();
    expect(names(first)).toEqual(Array.from({ length: 50 }, (_, i) => `user-${String(KEYS - 1 - i).padStart(3, '0')}`));
    const cursor = older(first);
    expect(cursor).toBeDefined();
    const second = await page(`?cursor=${cursor}`);
    expect(names(second)[0]).toBe('user-069');
    expect(second).toContain('Newest keys');
    const third = await page(`?cursor=${older(second)!}`);
    expect(names(third)).toEqual(Array.from({ length: 20 }, (_, i) => `user-${String(19 - i).padStart(3, '0')}`));
    expect(older(third)).toBeUndefined();
  });

  it('shows the newest keys, and says why, for a cursor it did not give out', async () => {
    const html = await page('?cursor=%3Cscript%3E');
    expect(names(html)[0]).toBe(`user-${KEYS - 1}`);
    expect(html).toContain('The cursor is not one this API gave out');
    expect(html).not.toContain('<script>');
  });
});
