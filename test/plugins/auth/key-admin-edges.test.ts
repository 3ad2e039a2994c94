/**
 * gateway:auth's key admin API and per-key limits, through real sockets with the official client:
 * numbers JSON cannot hold (ajv's `strictNumbers`, core/validation.ts), and a prompt no wait lets
 * under a key's tpm. Each case failed before its fix, as its comment says.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth } from '../../../index.js';
import { startGateway, startMockUpstream, mockProvider, type MockUpstream, type RunningGateway } from '../../../sdk/testing.js';

const ADMIN = 'admin-key-for-review-0123456789';
let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ server: { adminKey: ADMIN }, providers: { mock: mockProvider(upstream) }, plugins: [auth()] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const admin = (method: string, path: string, body: string) =>
  fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body });
const ask = (secret: string, content = 'hi') =>
  new OpenAI({ baseURL: gw.baseURL, apiKey: secret, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content }] });

describe('the key admin API refuses numbers JSON cannot hold', () => {
  // `1e999` is valid JSON text that JSON.parse reads as Infinity. The schema says rpm/tpm are integers
  // >= 1 and budgets numbers >= 0 (plugins/auth/key-spec.ts), and docs/keys-and-usage.md promises
  // a 400 naming the problem for a malformed key. Infinity is no such number: it cannot even be
  // stored (JSON.stringify writes null).
  // Before its fix: core/validation.ts:10 builds ajv with `strict: false`, which turns off ajv's
  // `strictNumbers`, so Infinity passes `type: integer`/`number`. The key is created (201) and
  // stored as `limits: {rpm: null}` / `budget: {dailyUsd: null}`; then every request of that key is
  // refused: 429 "over its limit of null requests per minute", or 402 "used its daily budget of
  // $0.00". An operator who meant "no limit" locked the key out, with nothing said at creation.
  it.each([
    ['limits.rpm', '{"name":"inf-rpm","limits":{"rpm":1e999}}'],
    ['limits.tpm', '{"name":"inf-tpm","limits":{"tpm":1e999}}'],
    ['budget.dailyUsd', '{"name":"inf-budget","budget":{"dailyUsd":1e999}}'],
  ])('answers 400 for an infinite %s, rather than creating a key that is refused on every request', async (_field, body) => {
    const res = await admin('POST', '/admin/keys', body);
    const created = (await res.json()) as { secret?: string };
    // Had it been accepted, the key should at least work: show what it does instead.
    const use = created.secret ? await ask(created.secret).then(() => 200, (e: InstanceType<typeof OpenAI.APIError>) => e.status) : undefined;
    expect({ status: res.status, use }).toEqual({ status: 400, use: undefined });
  });

  // Same cause on PUT /admin/teams/:team (docs/keys-and-usage.md: `{"budget": {"dailyUsd"?, "monthlyUsd"?}}`).
  it('answers 400 for an infinite team budget', async () => {
    const res = await admin('PUT', '/admin/teams/review-team', '{"budget":{"monthlyUsd":1e999}}');
    expect(res.status).toBe(400);
  });
});

describe('a key whose tpm is smaller than the prompt', () => {
  // docs/keys-and-usage.md: 429 + Retry-After for `tpm_exceeded`, "over the key's ... tokens per
  // minute". A Retry-After (and `retryable: true`) tells the client the same request succeeds after
  // that wait; the SDKs act on it (the openai and Anthropic clients retry a 429 honouring
  // Retry-After, Claude Code up to 10 times).
  // Before its fix: plugins/auth/index.ts:296 refuses `tokensUsed.count + prompt > tpm` with a retryable 429
  // and Retry-After (here ~1 minute), but a prompt larger than the whole tpm can never fit, however
  // long the client waits: each retry is refused the same way. Expected: a refusal that says it
  // will not succeed by waiting (retryable: false, no Retry-After; e.g. a 400/413 or a 429 like
  // OpenAI's "Request too large"), never an invitation to retry.
  it('does not tell the client to retry a request that can never fit', async () => {
    const res = await admin('POST', '/admin/keys', JSON.stringify({ name: 'tiny-tpm', limits: { tpm: 10 } }));
    const { secret } = (await res.json()) as { secret: string };
    const error = (await ask(secret, 'word '.repeat(500)).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.code).toBe('tpm_exceeded');
    expect({ retryAfter: error.headers?.get('retry-after') ?? null, retryable: (error.error as { retryable?: boolean }).retryable }).toEqual({ retryAfter: null, retryable: false });
    // The header with which the OpenAI and Anthropic SDKs are told not to retry a 429.
    expect(error.headers?.get('x-should-retry')).toBe('false');
  });
});
