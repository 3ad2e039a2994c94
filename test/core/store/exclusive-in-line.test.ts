/**
 * Changes to one name in one process take their turns in line before they poll for the lease.
 *
 * Before its fix (a review of live configuration at scale): every change polled the one lease at
 * once, each backing off up to 200 ms, and whichever polled when it came free took it: of fifty
 * team budgets a script sent at once, some waited past WAIT_MS and were refused with a 503
 * `change_in_progress` (9–27 of 1,000 on SQLite alone, 231 on a busy machine), and on SQLite every
 * poll was a write to the file the holder was writing.
 */
import { describe, expect, it } from 'vitest';
import { LocalLeases, MAX_IN_LINE, exclusively } from '../../../core/store/exclusive.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('changes to one name in one process', () => {
  it('take their turns in order, none refused, however long the line is against the lease wait', async () => {
    const leases = new LocalLeases();
    let claims = 0;
    const claim = leases.claim.bind(leases);
    leases.claim = (name, ttl) => (claims++, claim(name, ttl));
    const order: number[] = [];
    // Thirty changes of 20 ms each: 600 ms in all, three times the lease wait of each.
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => exclusively(leases, 'teams:budgets', async () => (await sleep(20), order.push(i)), { waitMs: 200 })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(order).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(claims, 'only the head of the line polls the lease').toBe(30);
    expect(leases.size).toBe(0);
  });

  it('refuses a change that waited in line past its bound, and the line goes on', async () => {
    const leases = new LocalLeases();
    let release!: () => void;
    const held = exclusively(leases, 'k', () => new Promise<void>((resolve) => (release = resolve)));
    await sleep(5);
    await expect(exclusively(leases, 'k', async () => 'late', { queueWaitMs: 50 })).rejects.toMatchObject({ status: 503, code: 'change_in_progress', retryable: true });
    const next = exclusively(leases, 'k', async () => 'next');
    release();
    await held;
    expect(await next).toBe('next');
  });

  it(`refuses at once a change past ${MAX_IN_LINE} waiting`, async () => {
    const leases = new LocalLeases();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const line = Array.from({ length: MAX_IN_LINE }, () => exclusively(leases, 'k', () => gate));
    await expect(exclusively(leases, 'k', async () => undefined)).rejects.toMatchObject({ code: 'change_in_progress' });
    // Another name has a line of its own.
    expect(await exclusively(leases, 'other', async () => 'free')).toBe('free');
    release();
    await Promise.all(line);
    expect(leases.size).toBe(0);
  });
});
