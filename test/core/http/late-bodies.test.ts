/**
 * LateBodies: one timer watches every body still arriving. A body past its deadline is reported
 * once, a body that arrived in time never is, and the timer stops when nothing is left to watch
 * (an idle gateway has no timer running).
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { LateBodies } from '../../../core/http/body-rules.js';

beforeEach(() => void vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] }));
afterEach(() => void vi.useRealTimers());

it('reports a body once its deadline has passed, within a tenth of the allowed time', () => {
  const late = new LateBodies(1_000);
  const onLate = vi.fn();
  late.watch(performance.now() + 1_000, onLate);
  vi.advanceTimersByTime(999);
  expect(onLate).not.toHaveBeenCalled();
  vi.advanceTimersByTime(100);
  expect(onLate).toHaveBeenCalledTimes(1);
  vi.advanceTimersByTime(5_000);
  expect(onLate).toHaveBeenCalledTimes(1);
});

it('never reports a body that arrived in time, and stops its timer when nothing is left', () => {
  const late = new LateBodies(1_000);
  const inTime = vi.fn();
  const stillComing = vi.fn();
  const arrived = late.watch(performance.now() + 1_000, inTime);
  late.watch(performance.now() + 2_000, stillComing);
  arrived();
  expect(vi.getTimerCount()).toBe(1);
  vi.advanceTimersByTime(2_100);
  expect(inTime).not.toHaveBeenCalled();
  expect(stillComing).toHaveBeenCalledTimes(1);
  expect(vi.getTimerCount()).toBe(0);
  // Watching again starts a new timer.
  late.watch(performance.now() + 10, inTime);
  expect(vi.getTimerCount()).toBe(1);
});
