/**
 * `GET /admin/keys` and the dashboard's Keys page a page at a time, on the SQLite store a default
 * install keeps keys in. Before: every key in one answer (and on one page of the dashboard, each
 * with its usage read), however many there were.
 *
 * Acting on a key from an older page of the dashboard's Keys page shows that page again. Before
 * its fix (a review of 5aacc87; it failed before): the Save, Rotate and Revoke forms carried no
 * cursor, and every action answered with the fifty newest keys, without the row acted on (for a
 * key twenty pages down, twenty clicks after each action).
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
const bearer = { authorization: `Bearer ${ADMIN}` };
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

const unescape = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** What the browser sends for the form in `html` whose action ends with `suffix`: its action and its fields. */
function formOf(html: string, id: string, suffix: string): { action: string; body: URLSearchParams } {
  const row = new RegExp(`<tr id="key-${id}"[\\s\\S]*?</tr>`).exec(html)?.[0];
  expect(row, `row of ${id}`).toBeDefined();
  const form = [...row!.matchAll(/<form([^>]*)>([\s\S]*?)<\/form>/g)].find((m) => new RegExp(`action="[^"]*${suffix}(\\?[^"]*)?"`).test(m[1]!));
  expect(form, `${suffix} form`).toBeDefined();
  const action = unescape(/action="([^"]*)"/.exec(form![1]!)![1]!);
  const body = new URLSearchParams();
  for (const input of form![2]!.matchAll(/<input([^>]*)>/g)) {
    const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
    if (name) body.append(name, unescape(/value="([^"]*)"/.exec(input[1]!)?.[1] ?? ''));
  }
  for (const select of form![2]!.matchAll(/<select[^>]*name="([^"]*)"[^>]*>\s*<option value="([^"]*)"/g)) body.append(select[1]!, select[2]!);
  return { action, body };
}

describe("an action on an older page of the dashboard's Keys page", () => {
  it.each([
    ['revoke', '/revoke', 'revoked'],
    ['rotate', '/rotate', 'active'],
  ])('%s answers with the page the key is on, showing the key', async (_what, suffix, status) => {
    const first = await (await fetch(`${gw.url}/dashboard/keys`, { headers: bearer })).text();
    const cursor = /href="[^"]*\/keys\?cursor=([^"]+)" rel="next"/.exec(first)?.[1];
    expect(cursor).toBeDefined();
    const second = await (await fetch(`${gw.url}/dashboard/keys?cursor=${cursor}`, { headers: bearer })).text();
    // An old key, on the second page only.
    const id = suffix === '/revoke' ? made[30]! : made[25]!;
    expect(second).toContain(`id="key-${id}"`);
    const { action, body } = formOf(second, id, suffix);
    const res = await fetch(new URL(action, gw.url), {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' },
      body,
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    // The action itself went through.
    expect(html).toContain(suffix === '/revoke' ? 'revoked: requests with it are refused' : 'has a new secret');
    // Expected: the second page again, with the key's row (now revoked / rotated) and the
    // Newest keys link; actual: the fifty newest keys, without it.
    expect(html).toContain(`<tr id="key-${id}" class="${status}"`);
    expect(html).toContain('Newest keys');
  });

  it('saving an edit from the older page shows the key saved', async () => {
    const first = await (await fetch(`${gw.url}/dashboard/keys`, { headers: bearer })).text();
    const cursor = /href="[^"]*\/keys\?cursor=([^"]+)" rel="next"/.exec(first)![1]!;
    const second = await (await fetch(`${gw.url}/dashboard/keys?cursor=${cursor}`, { headers: bearer })).text();
    const id = made[23]!;
    const { action, body } = formOf(second, id, `/keys/${id}`);
    body.set('rpm', '42');
    const res = await fetch(new URL(action, gw.url), { method: 'POST', headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' }, body });
    const html = await res.text();
    expect(html).toContain('saved.');
    expect(html).toContain(`<tr id="key-${id}"`);
  });
});
