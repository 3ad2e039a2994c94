/**
 * Epoch milliseconds that move only forward, at the pace of real time: the wall clock as it read
 * when the process started, plus the monotonic clock since. Waits kept in this process's counters
 * and leases (a circuit's cooldown, a provider's Retry-After, a token bucket's refill) were measured
 * on `Date.now()`, so a step the wall clock took back (an NTP correction, a VM restored from a
 * snapshot) added itself to every one of them: a 1 s cooldown lasted an hour. It drifts from
 * `Date.now()` by every step the wall clock took since the start: what another process reads (a
 * SQLite counter snapshot) is saved on the wall clock (persist-behind.ts).
 */
export const steadyNow = (): number => performance.timeOrigin + performance.now();
