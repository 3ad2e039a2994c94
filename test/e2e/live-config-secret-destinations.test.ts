/**
 * A provider's keys go only where the config sent them, whatever a live change (the admin API or
 * the dashboard) asks: a change that moves a provider to another host must type its key in, and
 * a change cannot name an environment variable or another provider's stored secret as a key the
 * config did not already send there. Over real sockets, with a second mock upstream standing for
 * a host of the changer's choosing. Before its fix, `PATCH {"baseURL": <host>}` kept the provider's
 * key and the next request carried it there, and `PUT` of a new provider with `{"env": NAME}` sent
 * any variable of the gateway's environment to the host it named: whoever held the admin key or a
 * dashboard session could read what every page masks.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auth, dashboard } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'admin-key-of-the-secret-destination-tests';
const PROVIDER_KEY = 'sk-real-provider-key-from-the-environment-0001';
const OTHER_SECRET = 'database-password-nobody-should-read-0002';

let upstream: MockUpstream;
let elsewhere: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  elsewhere = await startMockUpstream();
  process.env.SECRET_DESTINATION_PROVIDER_KEY = PROVIDER_KEY;
  process.env.SECRET_DESTINATION_OTHER = OTHER_SECRET;
  process.env.LLM_GATEWAY_SECRETS_KEY = 'secrets key of the secret destination tests';
  gw = await startGateway({
    server: { adminKey: ADMIN },
    providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: { env: 'SECRET_DESTINATION_PROVIDER_KEY' }, listModels: false } },
    plugins: [auth(), dashboard()],
  });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([upstream?.close(), elsewhere?.close()]);
  delete process.env.SECRET_DESTINATION_PROVIDER_KEY;
  delete process.env.SECRET_DESTINATION_OTHER;
  delete process.env.LLM_GATEWAY_SECRETS_KEY;
});
afterEach(() => {
  upstream.reset();
  elsewhere.reset();
});

const adminHeaders = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const change = async (method: string, path: string, body: unknown) => {
  const res = await fetch(`${gw.url}/admin/config/${path}`, { method, headers: adminHeaders, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; param?: string; message: string } } };
};
let key: string | undefined;
const ask = async (model: string) => {
  key ??= ((await (await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ name: 'client' }) })).json()) as { secret: string }).secret;
  return fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] }) });
};
const seenElsewhere = () => elsewhere.requests.map((r) => String(r.headers.authorization ?? '')).join('\n');

describe("a live change and a provider's keys", () => {
  it('refuses to move a provider to another host with the key it keeps, and changes nothing', async () => {
    const moved = await change('PATCH', 'providers/a', { baseURL: elsewhere.baseURL });
    expect(moved.status).toBe(400);
    expect(moved.body.error).toMatchObject({ code: 'secret_destination', param: 'apiKey', message: expect.stringMatching(/keeps apiKey \(environment variable SECRET_DESTINATION_PROVIDER_KEY\).*type the key itself in the change/) });
    expect((await ask('a/mock-small')).status).toBe(200);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(elsewhere.requests).toHaveLength(0);
    // A PUT that leaves the key out brings the file's back: the same refusal.
    expect((await change('PUT', 'providers/a', { type: 'openai-compatible', baseURL: elsewhere.baseURL, listModels: false })).body.error?.code).toBe('secret_destination');
  });

  it('moves a provider whose change types its key in, and sends that key only', async () => {
    const moved = await change('PATCH', 'providers/a', { baseURL: elsewhere.baseURL, apiKey: 'sk-typed-for-the-new-host-7777' });
    expect(moved.status).toBe(200);
    expect((await ask('a/mock-small')).status).toBe(200);
    expect(seenElsewhere()).toBe('Bearer sk-typed-for-the-new-host-7777');
    expect((await fetch(`${gw.url}/admin/config/providers/a/revert`, { method: 'POST', headers: adminHeaders })).status).toBe(200);
  });

  it('refuses a new provider whose key names an environment variable or another provider\'s stored secret', async () => {
    const byVariable = await change('PUT', 'providers/exfil', { type: 'openai-compatible', baseURL: elsewhere.baseURL, apiKey: { env: 'SECRET_DESTINATION_OTHER' }, listModels: false });
    expect(byVariable.status).toBe(400);
    expect(byVariable.body.error).toMatchObject({ code: 'secret_destination', message: expect.stringContaining('environment variable SECRET_DESTINATION_OTHER') });
    // The variable the file sends to `a`'s host, named for another host: refused too.
    expect((await change('PUT', 'providers/exfil', { type: 'openai-compatible', baseURL: elsewhere.baseURL, apiKey: { env: 'SECRET_DESTINATION_PROVIDER_KEY' } })).body.error?.code).toBe('secret_destination');

    // A key typed in for `b` is stored; naming it for a provider elsewhere is refused.
    expect((await change('PUT', 'providers/b', { type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-stored-for-b-5555', listModels: false })).status).toBe(200);
    const byStored = await change('PUT', 'providers/exfil', { type: 'openai-compatible', baseURL: elsewhere.baseURL, apiKey: { secret: 'provider:b:apiKey' }, listModels: false });
    expect(byStored.body.error).toMatchObject({ code: 'secret_destination', message: expect.stringContaining('stored secret "provider:b:apiKey"') });

    expect((await ask('exfil/anything')).status).toBe(404);
    expect(elsewhere.requests).toHaveLength(0);
    expect(seenElsewhere()).not.toContain(OTHER_SECRET);
  });

  it('still takes a change that keeps each key where the config sends it', async () => {
    // A model list on the file's provider, and its own variable named again for its own host.
    const limited = await change('PATCH', 'providers/a', { models: ['mock-small'] });
    expect(limited.body.error).toBeUndefined();
    expect(limited.status).toBe(200);
    expect((await change('PUT', 'providers/a', { type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: { env: 'SECRET_DESTINATION_PROVIDER_KEY' }, listModels: false, unsupportedParams: 'drop' })).status).toBe(200);
    // Switched off and on again, with its stored key.
    expect((await change('PATCH', 'providers/b', { enabled: false })).status).toBe(200);
    expect((await change('PATCH', 'providers/b', { enabled: true })).status).toBe(200);
    expect((await ask('b/mock-small')).status).toBe(200);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe('Bearer sk-stored-for-b-5555');
    expect((await ask('a/mock-small')).status).toBe(200);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
  });
});
