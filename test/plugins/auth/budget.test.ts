import { describe, expect, it } from 'vitest';
import { budgetWindows, exhaustedWindow, reserve, resetsInSeconds, spent } from '../../../plugins/auth/budget.js';
import { countersShapes, testCounters, type CountersShape } from '../../support/counters.js';

describe.each(countersShapes)('budget reservations on %s counters', (shape: CountersShape) => {
  const now = Date.UTC(2026, 10, 30, 12);
  const windows = budgetWindows('k1', { dailyUsd: 1, monthlyUsd: 1.5 }, now);

  it('reserves in every window, and a release replaces the reservation by the actual cost', async () => {
    const counters = testCounters(shape);
    const reservation = await reserve(counters, windows, 400_000);
    expect(reservation.ok).toBe(true);
    expect(await spent(counters, windows)).toEqual({ daily: 0.4, monthly: 0.4 });
    if (reservation.ok) {
      await reservation.release(100_000);
      await reservation.release(100_000); // twice is once
    }
    expect(await spent(counters, windows)).toEqual({ daily: 0.1, monthly: 0.1 });
  });

  it('refuses a reservation that does not fit in one window, and takes nothing from any', async () => {
    const counters = testCounters(shape);
    expect((await reserve(counters, windows, 900_000)).ok).toBe(true);
    // Fits the month (1.5) only after the day (1.0) refused it: nothing stays reserved.
    const refused = await reserve(counters, windows, 200_000);
    expect(refused).toMatchObject({ ok: false, window: { name: 'daily' }, spentMicros: 900_000 });
    expect(await spent(counters, windows)).toEqual({ daily: 0.9, monthly: 0.9 });
    // The month refuses when the day still has room.
    const monthOnly = budgetWindows('k1', { dailyUsd: 10, monthlyUsd: 1 }, now);
    expect(await reserve(counters, monthOnly, 200_000)).toMatchObject({ ok: false, window: { name: 'monthly' } });
    expect(await spent(counters, monthOnly)).toEqual({ daily: 0.9, monthly: 0.9 });
  });

  it('refuses even a request that reserves nothing once a window is spent', async () => {
    const counters = testCounters(shape);
    expect((await reserve(counters, windows, 1_000_000)).ok).toBe(true);
    expect(await reserve(counters, windows, 0)).toMatchObject({ ok: false, window: { name: 'daily' } });
  });

  it('names the first window already spent to its limit, reading without reserving', async () => {
    const counters = testCounters(shape);
    expect(await exhaustedWindow(counters, windows)).toBeUndefined();
    expect((await reserve(counters, windows, 999_999)).ok).toBe(true);
    expect(await exhaustedWindow(counters, windows)).toBeUndefined();
    expect((await reserve(counters, windows, 1)).ok).toBe(true);
    expect(await exhaustedWindow(counters, windows)).toMatchObject({ name: 'daily' });
    expect(await spent(counters, windows)).toEqual({ daily: 1, monthly: 1 });
  });
});

describe('budget windows', () => {
  const noon = Date.UTC(2026, 10, 30, 12);
  const budget = { dailyUsd: 1, monthlyUsd: 1.5 };

  it('are the UTC day and month, each with its counter, limit and reset', () => {
    const [daily, monthly] = budgetWindows('k1', budget, noon);
    expect(daily).toMatchObject({ name: 'daily', counter: 'budget:k1:2026-11-30', limitMicros: 1_000_000, resetsAt: Date.UTC(2026, 11, 1) });
    expect(monthly).toMatchObject({ name: 'monthly', counter: 'budget:k1:2026-11', limitMicros: 1_500_000, resetsAt: Date.UTC(2026, 11, 1) });
    expect(resetsInSeconds(daily!, noon)).toBe(12 * 3600);
    expect(resetsInSeconds(daily!, Date.UTC(2026, 11, 1) - 1)).toBe(1);
  });

  it('are made once a day per key, and again for a new day, another key or a changed budget', () => {
    const windows = budgetWindows('k1', budget, noon);
    expect(budgetWindows('k1', budget, noon + 3600_000)).toBe(windows);
    const nextDay = budgetWindows('k1', budget, noon + 86_400_000);
    expect(nextDay).not.toBe(windows);
    expect(nextDay[0]!.counter).toBe('budget:k1:2026-12-01');
    expect(nextDay[1]!.counter).toBe('budget:k1:2026-12');
    expect(budgetWindows('k2', budget, noon + 86_400_000)[0]!.counter).toBe('budget:k2:2026-12-01');
    expect(budgetWindows('k1', { ...budget, dailyUsd: 2 }, noon + 86_400_000)[0]!.limitMicros).toBe(2_000_000);
    expect(budgetWindows('k1', undefined, noon)).toEqual([]);
    expect(budgetWindows('k1', {}, noon)).toEqual([]);
  });
});
