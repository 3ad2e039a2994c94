/**
 * Found by a review of 342ad90 (it failed before its fix): (steadyNow for in-process counters). The SQLite store saves each counter's
 * expiry as an absolute time on steadyNow (the wall clock at the process's start plus the
 * monotonic clock since) and a restarted process reads it back as one on *its own* steadyNow.
 * The two agree only while the first process's steadyNow stayed on the wall clock: after the very
 * fault the commit handles (the wall clock stepped back an hour while the gateway ran), a restart
 * brings the hour back into every saved wait (a provider's Retry-After block, an open circuit).
 *
 * A second process is simulated in this one by its clock: its steadyNow reads the wall clock
 * (timeOrigin + now == Date.now() in a process started after the step).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore } from '../../../core/store/store.js';

const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'review-steady-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

it('a 30 s Retry-After block saved after a step back of the wall clock lasts 30 s after a restart, not an hour more', async () => {
  const url = `sqlite://${join(dir, 'gateway.sqlite')}`;
  const realNow = performance.now.bind(performance);

  // Process A: started an hour "early" by a wall clock that NTP has since stepped back an hour,
  // so its steadyNow runs an hour ahead of Date.now() (as designed: no wait grows in A itself).
  vi.spyOn(performance, 'now').mockImplementation(() => realNow() + HOUR);
  const first = await openStore(url, silentLogger);
  await first.counters.add('limits:p:blocked', 1, 30_000); // what rate-limits stores for Retry-After: 30
  expect(await first.counters.ttl('limits:p:blocked')).toBeLessThanOrEqual(30_000);
  await first.close(); // saves the snapshot

  // Process B, restarted on the same file: its steadyNow is the (now right) wall clock.
  vi.spyOn(performance, 'now').mockImplementation(() => Date.now() - performance.timeOrigin);
  const second = await openStore(url, silentLogger);
  const ttl = await second.counters.ttl('limits:p:blocked');
  await second.close();
  // Found: about 3,630,000 ms (the deployment refused for an hour and a half-minute after the restart).
  expect(ttl).toBeLessThanOrEqual(30_000);
});
