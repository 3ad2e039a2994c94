/**
 * A key's `expiresAt` written as a date-time without an offset (`2030-01-01T00:00`).
 *
 * docs/keys-and-usage.md says the admin API's dates (`from`, `to`) are "in UTC unless they name
 * their offset ... whatever the server's time zone", and `expiresAt` is "an ISO 8601 date or
 * date-time" on the same API; a bare date (`2030-01-01`) is read as UTC midnight. But
 * plugins/auth/key-spec.ts parses `expiresAt` with `Date.parse`, which reads a date-time without an
 * offset in the *server's local* time zone. So the same POST makes a key that expires at another
 * instant depending on the TZ of the process that parsed it (a replica, or `llm-gateway keys` on an
 * operator's laptop): in Pacific/Chatham (+13:45) it expires 13 h 45 min early (clients get 401
 * `expired_api_key`), in America/New_York 5 h late.
 *
 * Before its fix these failed. Now `expiresAt` is read by `utcTime` (llm-gateway/plugin), the
 * rule the admin API's `from` and `to` use.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auth } from '../../index.js';
import { startGateway, startMockUpstream, mockProvider, type MockUpstream, type RunningGateway } from '../../sdk/testing.js';

const ADMIN = 'admin-key-for-clock-review-0123456789';
const savedTz = process.env.TZ;
let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ server: { adminKey: ADMIN }, providers: { mock: mockProvider(upstream) }, plugins: [auth()] });
});
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const createKey = async (expiresAt: string) => {
  const res = await fetch(`${gw.url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `tz-${Math.random()}`, expiresAt }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { expiresAt: string };
};

describe('a key expiry written without an offset', () => {
  it.each(['Pacific/Chatham', 'America/New_York', 'Australia/Lord_Howe'])('is read as UTC, as the admin API reads every date, whatever the server time zone (TZ=%s)', async (tz) => {
    process.env.TZ = tz;
    // The same rule as /admin/usage's `from`/`to` (utcTime in plugins/usage-logger/admin-routes.ts).
    expect(new Date(2030, 0, 1).getTimezoneOffset()).not.toBe(0); // the zone took effect
    const key = await createKey('2030-01-01T00:00');
    // Before a fix: Pacific/Chatham → 2029-12-31T10:15:00.000Z, America/New_York → 2030-01-01T05:00:00.000Z.
    expect(key.expiresAt).toBe('2030-01-01T00:00:00.000Z');
  });

  it('expires at the same instant as the same day written as a bare date (TZ=Pacific/Chatham)', async () => {
    process.env.TZ = 'Pacific/Chatham';
    const dateOnly = await createKey('2030-01-01');
    const dateTime = await createKey('2030-01-01T00:00');
    expect(dateTime.expiresAt).toBe(dateOnly.expiresAt);
  });
});
