/**
 * Acting on a key from an older page of the dashboard's Keys page shows that page again.
 *
 * Before its fix (a review of 5aacc87, which paged the Keys page; it failed before): the dashboard's Keys page shows fifty keys a page, but its Save / Rotate / Revoke
 * forms on an older page (`/dashboard/keys?cursor=…`) post to `/dashboard/keys/<id>/…` with no
 * cursor, and `view()` (plugins/dashboard/pages/keys.ts, `http.method === 'GET' ? … : undefined`)
 * answers every action with the newest page. htmx swaps #main with that answer while the address
 * bar still says `?cursor=…`.
 *
 * What a user sees: revoking (or rotating, editing) key 10 of 60 from the second page gives
 * "Key user-009 revoked" above the 50 newest keys: the row they acted on is gone from view, they
 * cannot check it says revoked, the "Newest keys" link is gone, and to act on the next old key they
 * must click "Older keys" again (for a key on page 20, twenty clicks after each action).
 *
 * The fix: carry the page's cursor in the row forms (a hidden `cursor` input, or
 * `action=".../revoke?cursor=…"`), and have `view()` after an action show the page of that cursor
 * (and keep `paged`, so "Newest keys" stays). Creating a key may still show the newest page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, dashboard } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'review-keys-dashboard-later-page-admin-0123456789';
const bearer = { authorization: `Bearer ${ADMIN}` };
const KEYS = 60;

let dir: string;
let upstream: MockUpstream;
let gw: RunningGateway;
const made: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'review-keys-dash-'));
  upstream = await startMockUpstream();
  gw = await startGateway({ store: `sqlite://${join(dir, 'gateway.sqlite')}`, server: { adminKey: ADMIN }, providers: { mock: mockProvider(upstream) }, plugins: [auth(), dashboard()] });
  for (let i = 0; i < KEYS; i++) {
    const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ name: `user-${String(i).padStart(3, '0')}` }) });
    made.push(((await res.json()) as { id: string }).id);
  }
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
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
    const id = suffix === '/revoke' ? made[9]! : made[5]!;
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
    const id = made[3]!;
    const { action, body } = formOf(second, id, `/keys/${id}`);
    body.set('rpm', '42');
    const res = await fetch(new URL(action, gw.url), { method: 'POST', headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' }, body });
    const html = await res.text();
    expect(html).toContain('saved.');
    expect(html).toContain(`<tr id="key-${id}"`);
  });
});
