/**
 * BoundedLabel: at most `cap` values, later ones `other`, unless one has not been seen for
 * `idleMs`: it is then let go (its series with it) to make room.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BoundedLabel, OTHER } from '../../../plugins/metrics/bounded-labels.js';

describe('BoundedLabel', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('keeps cap values; a later one is other while they are all in use', () => {
    const label = new BoundedLabel(2, 60_000);
    expect([label.value('a'), label.value('b'), label.value('c')]).toEqual(['a', 'b', OTHER]);
  });

  it('lets the least recently seen value go once it is idle, to make room, and tells its series to go', () => {
    const forgotten: string[] = [];
    const label = new BoundedLabel(2, 60_000, (value) => forgotten.push(value));
    label.value('a');
    label.value('b');
    vi.advanceTimersByTime(30_000);
    label.value('a'); // a is in use: b is now the least recently seen
    vi.advanceTimersByTime(40_000);
    expect(label.value('c')).toBe('c');
    expect(forgotten).toEqual(['b']);
    expect(label.value('a')).toBe('a');
  });

  it('a value in constant use is never let go', () => {
    const label = new BoundedLabel(1, 10_000);
    for (let i = 0; i < 100; i++) {
      expect(label.value('a')).toBe('a');
      vi.advanceTimersByTime(3_000);
      expect(label.sweep()).toEqual([]);
    }
  });

  it('sweep lets every idle value go, least recently seen first', () => {
    const label = new BoundedLabel(10, 1_000);
    label.value('a');
    vi.advanceTimersByTime(500);
    label.value('b');
    vi.advanceTimersByTime(600);
    expect(label.sweep()).toEqual(['a']);
    vi.advanceTimersByTime(600);
    expect(label.sweep()).toEqual(['b']);
  });

  it('without an idle time, keeps the first cap values for good', () => {
    const label = new BoundedLabel(1);
    label.value('a');
    vi.advanceTimersByTime(86_400_000);
    expect(label.value('b')).toBe(OTHER);
  });
});
