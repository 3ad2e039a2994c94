/** Dashboard sessions (signed, expiring, CSRF bound to the session) and the bounded login limiter, on explicit clocks. */
import { describe, expect, it } from 'vitest';
import { LoginLimiter, Sessions } from '../../../plugins/dashboard/index.js';

describe('dashboard sessions', () => {
  it('verifies what it issued until it expires, and nothing forged or signed with another admin key', () => {
    let now = 1_000_000;
    const sessions = new Sessions('the-admin-key-0123456789', 60_000, () => now);
    const { value, session } = sessions.issue();
    expect(sessions.verify(value)).toEqual(session);
    const [payload, signature] = value.split('.');
    const forged = Buffer.from(JSON.stringify([session.id, session.expiresAt + 3_600_000])).toString('base64url');
    expect(sessions.verify(`${forged}.${signature}`)).toBeUndefined();
    expect(sessions.verify(`${payload}.${signature}x`)).toBeUndefined();
    expect(sessions.verify(`${payload}`)).toBeUndefined();
    expect(new Sessions('another-admin-key-0123456789', 60_000, () => now).verify(value)).toBeUndefined();
    now += 59_999;
    expect(sessions.verify(value)).toEqual(session);
    now += 1;
    expect(sessions.verify(value)).toBeUndefined();
  });

  it('binds the CSRF token to the session', () => {
    const sessions = new Sessions('the-admin-key-0123456789', 60_000);
    const one = sessions.issue().session;
    const two = sessions.issue().session;
    expect(sessions.checkCsrf(one, sessions.csrfToken(one))).toBe(true);
    expect(sessions.checkCsrf(one, sessions.csrfToken(two))).toBe(false);
    expect(sessions.checkCsrf(one, undefined)).toBe(false);
    expect(sessions.checkCsrf(one, '')).toBe(false);
  });
});

describe('the login limiter', () => {
  it('blocks an address after its failures until the window ends; a success clears it', () => {
    let now = 0;
    const limiter = new LoginLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 2; i++) limiter.failed('1.2.3.4');
    expect(limiter.blockedFor('1.2.3.4')).toBe(0);
    limiter.failed('1.2.3.4');
    expect(limiter.blockedFor('1.2.3.4')).toBe(60);
    expect(limiter.blockedFor('5.6.7.8')).toBe(0);
    now = 59_000;
    expect(limiter.blockedFor('1.2.3.4')).toBe(1);
    now = 60_000;
    expect(limiter.blockedFor('1.2.3.4')).toBe(0);
    limiter.failed('5.6.7.8');
    limiter.succeeded('5.6.7.8');
    expect(limiter.size).toBe(0);
  });

  it('stays bounded however many addresses fail', () => {
    const limiter = new LoginLimiter({ maxFailures: 1, windowMs: 60_000, maxEntries: 100, now: () => 0 });
    for (let i = 0; i < 10_000; i++) limiter.failed(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(100);
    // The newest are kept (the oldest went first).
    expect(limiter.blockedFor('10.0.39.15')).toBe(60);
  });
});
