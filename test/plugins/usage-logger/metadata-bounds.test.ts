/**
 * A usage record keeps a request's `metadata` bounded as OpenAI bounds it: at most 16 pairs, keys
 * of at most 64 characters, string values of at most 512 (characters, so an emoji counts once).
 * The pairs that fit are kept in the client's order; the rest are left out. Before its fix, every
 * string pair went into the record whole, whatever its size or number.
 */
import { describe, expect, it } from 'vitest';
import { boundedMetadata } from '../../../plugins/usage-logger/metadata.js';

describe('boundedMetadata', () => {
  it('keeps a map of strings that fits, whole', () => {
    expect(boundedMetadata({ team: 'research', run: '42' })).toEqual({ team: 'research', run: '42' });
  });

  it('is null for what is not a map of strings', () => {
    expect(boundedMetadata(undefined)).toBeNull();
    expect(boundedMetadata('x')).toBeNull();
    expect(boundedMetadata(['a'])).toBeNull();
    expect(boundedMetadata({ n: 1, nested: { a: 'b' } })).toBeNull();
    expect(boundedMetadata({})).toBeNull();
  });

  it('keeps the first 16 pairs that fit', () => {
    const metadata = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, `v${i}`]));
    const kept = boundedMetadata(metadata)!;
    expect(Object.keys(kept)).toEqual(Array.from({ length: 16 }, (_, i) => `k${i}`));
  });

  it('leaves out a key over 64 characters or a value over 512, and keeps those at the limit', () => {
    const kept = boundedMetadata({
      ['a'.repeat(64)]: 'at the key limit',
      ['b'.repeat(65)]: 'key too long',
      atValueLimit: 'v'.repeat(512),
      tooLong: 'v'.repeat(513),
      huge: 'x'.repeat(10_000_000),
      n: 5,
    });
    expect(kept).toEqual({ ['a'.repeat(64)]: 'at the key limit', atValueLimit: 'v'.repeat(512) });
  });

  it('counts characters, not UTF-16 units', () => {
    expect(boundedMetadata({ emoji: '😀'.repeat(512) })).toEqual({ emoji: '😀'.repeat(512) });
    expect(boundedMetadata({ emoji: '😀'.repeat(513) })).toBeNull();
    expect(boundedMetadata({ ['😀'.repeat(64)]: 'v' })).toEqual({ ['😀'.repeat(64)]: 'v' });
  });

  it('a pair left out does not count toward the 16', () => {
    const metadata: Record<string, string> = {};
    for (let i = 0; i < 16; i++) metadata[`big${i}`] = 'x'.repeat(600);
    for (let i = 0; i < 16; i++) metadata[`ok${i}`] = 'y';
    expect(Object.keys(boundedMetadata(metadata)!)).toEqual(Array.from({ length: 16 }, (_, i) => `ok${i}`));
  });

  it('keeps at most a few KB, whatever the client sends', () => {
    // 200 pairs: 16 at the limits, then 184 with 20,000-character values (about 4 MB).
    const atLimits = Array.from({ length: 16 }, (_, i) => [`${i}`.padStart(64, 'k'), 'x'.repeat(512)]);
    const huge = Array.from({ length: 184 }, (_, i) => [`h${i}`, 'x'.repeat(20_000)]);
    const kept = boundedMetadata(Object.fromEntries([...huge.slice(0, 92), ...atLimits, ...huge.slice(92)]));
    expect(kept).toEqual(Object.fromEntries(atLimits));
    expect(JSON.stringify(kept).length).toBeLessThanOrEqual(16_384);
  });
});
