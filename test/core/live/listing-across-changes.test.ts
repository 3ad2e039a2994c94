/**
 * Model listings across live config changes made while they are on their way.
 *
 * Before its fix: each change stopped the replaced catalog, which aborted every listing it had in
 * flight, also those of providers the change kept as they were. The aborted listing marked the
 * listing object it shares with the new catalog `error`, and the catalog of the next change, seeing
 * nothing `pending`, did not list that provider again: with two changes inside one listing, `/ready`
 * showed the kept provider `{ status: 'error', models: 0 }`, `/v1/models` lacked its models and a
 * request naming one of them bare found no provider, until the periodic refresh (5 minutes). Even
 * one change aborted the kept provider's listing and sent its host a second one.
 *
 * Now a kept provider's listing carries on for the new catalog (one request to its host, answered),
 * while the listings of providers a change removed or changed are aborted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { dashboard } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { completion } from '../../support/mock-upstream.js';

const ADMIN = 'admin-key-of-the-listing-across-changes-tests';
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const LISTING_MS = 1_000;

/** Every GET .../models the host saw: its path and whether it was answered or given up by the gateway. */
let listings: Array<{ path: string; fate: 'waiting' | 'answered' | 'aborted' }>;
let host: Server;
let hostURL: string;
let gw: RunningGateway | undefined;

/** One host for every provider, each under its own path prefix: its listing answers after LISTING_MS. */
function serve(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '';
  if (!path.endsWith('/models')) {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion({ model: 'slow-model' })));
    });
    return;
  }
  const listing = { path, fate: 'waiting' as 'waiting' | 'answered' | 'aborted' };
  listings.push(listing);
  const timer = setTimeout(() => {
    listing.fate = 'answered';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'slow-model', object: 'model', created: 0, owned_by: 'x' }] }));
  }, LISTING_MS);
  res.on('close', () => {
    if (listing.fate === 'waiting') listing.fate = 'aborted';
    clearTimeout(timer);
  });
}

const provider = (prefix: string, extra: Record<string, unknown> = {}) => ({ type: 'openai-compatible', baseURL: `${hostURL}/${prefix}/v1`, ...extra });
const unlisted = () => ({ type: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', listModels: false });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function admin(method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${gw!.url}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

async function ready(): Promise<Array<{ id: string; status: string; models: number }>> {
  return ((await (await fetch(`${gw!.url}/ready`)).json()) as { providers: Array<{ id: string; status: string; models: number }> }).providers;
}

beforeEach(async () => {
  listings = [];
  host = createServer(serve);
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  hostURL = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await gw?.close();
  gw = undefined;
  host.closeAllConnections();
  await new Promise((resolve) => host.close(resolve));
});

it('lists a kept provider whose listing spans three changes: one request, answered; ready, listed, routable by bare name', async () => {
  gw = await startGateway({ server: { adminKey: ADMIN }, providers: { slow: provider('slow') }, plugins: [dashboard()] });
  // Three unrelated changes, all inside slow's first listing (a script adding one deployment per customer).
  await admin('PUT', '/admin/config/providers/other1', unlisted());
  await sleep(250);
  await admin('PUT', '/admin/config/providers/other2', unlisted());
  await sleep(250);
  await admin('DELETE', '/admin/config/providers/other1');
  // Long enough for any listing started since to have answered.
  await sleep(2 * LISTING_MS);

  expect((await ready()).find((p) => p.id === 'slow')).toMatchObject({ status: 'ok', models: 1 });
  const models = (await (await fetch(`${gw.baseURL}/models`, { headers })).json()) as { data: Array<{ id: string }> };
  expect(models.data.map((m) => m.id)).toContain('slow/slow-model');
  // Handed over, not aborted and started again.
  expect(listings).toEqual([{ path: '/slow/v1/models', fate: 'answered' }]);
  const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model: 'slow-model', messages: [{ role: 'user', content: 'hi' }] }) });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-gateway-provider')).toBe('slow');
});

it('aborts the listing of a provider a change removed, and lists a changed one anew', async () => {
  gw = await startGateway({ server: { adminKey: ADMIN }, providers: { kept: provider('kept'), gone: provider('gone'), moved: provider('moved') }, plugins: [dashboard()] });
  await vi.waitFor(() => expect(listings).toHaveLength(3));
  await admin('DELETE', '/admin/config/providers/gone');
  await admin('PUT', '/admin/config/providers/moved', provider('moved-here'));
  await vi.waitFor(() => expect((listings.find((l) => l.path === '/gone/v1/models'))?.fate).toBe('aborted'));
  await sleep(LISTING_MS + 500);

  expect(Object.fromEntries(listings.map((l) => [l.path, l.fate]))).toEqual({
    '/kept/v1/models': 'answered',
    '/gone/v1/models': 'aborted',
    '/moved/v1/models': 'aborted',
    '/moved-here/v1/models': 'answered',
  });
  expect(listings).toHaveLength(4);
  const providers = await ready();
  expect(providers.map((p) => p.id).sort()).toEqual(['kept', 'moved']);
  for (const p of providers) expect(p).toMatchObject({ status: 'ok', models: 1 });
});
