/**
 * A provider whose listing failed is listed again within 30 s (or `refreshIntervalMs`, if
 * shorter), however often live changes come.
 *
 * Before its fix (a review of the fifty-ninth session's own diff): each live change stopped the
 * catalog (clearing its retry and refresh timers) and started the next one, whose timers started
 * from zero: a script making a change more often than the retry delay kept a provider whose first
 * listing failed unlisted for good (/ready error, /v1/models without its models), though its host
 * answered again. The catalog now carries when the next retry and refresh are due to the next.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dashboard } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { adminCalls } from '../../support/live-config.js';

const ADMIN = 'admin-key-of-the-review-diff-listing-tests';
const RETRY_MS = 3_000; // refreshIntervalMs: the retry delay is min(30 s, refreshIntervalMs)

let hostUp = false;
let listings = 0;
let host: Server;
let hostURL: string;
let gw: RunningGateway;
const admin = adminCalls(() => gw, ADMIN);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function serve(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  listings++;
  if (!hostUp) {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'starting' } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ object: 'list', data: [{ id: 'late-model', object: 'model', created: 0, owned_by: 'x' }] }));
}

beforeAll(async () => {
  host = createServer(serve);
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  hostURL = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  gw = await startGateway({
    server: { adminKey: ADMIN },
    catalog: { refreshIntervalMs: RETRY_MS },
    providers: { late: { type: 'openai-compatible', baseURL: `${hostURL}/v1` }, other: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', listModels: false } },
    plugins: [dashboard()],
  });
});

afterAll(async () => {
  await gw?.close();
  host.closeAllConnections();
  await new Promise((resolve) => host.close(resolve));
});

it('lists again, within the retry delay, a provider whose first listing failed, while unrelated live changes keep coming', async () => {
  const ready = async () => ((await (await fetch(`${gw.url}/ready`)).json()) as { providers: Array<{ id: string; status: string; models: number }> }).providers.find((p) => p.id === 'late');
  for (let i = 0; i < 50 && (await ready())?.status !== 'error'; i++) await sleep(100);
  expect(await ready()).toMatchObject({ status: 'error' });
  hostUp = true;
  // A script changes a virtual model every second (unrelated to `late`), for three retry delays.
  const until = Date.now() + 3 * RETRY_MS;
  for (let i = 0; Date.now() < until; i++) {
    await admin('PUT', '/admin/config/models/churn', { targets: [`other/m${i}`] });
    await sleep(1_000);
  }
  expect({ ready: await ready(), listingsSinceUp: listings - 1 }).toMatchObject({ ready: { status: 'ok', models: 1 } });
}, 30_000);
