import { describe, expect, it } from 'vitest';
import { budgetWindows, exhaustedWindow, reserve, spent } from '../../../plugins/auth/budget.js';
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
