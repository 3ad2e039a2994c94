/**
 * Bodies are capped before they are stored: `cap` cuts a text at a number of UTF-8 bytes, and
 * `cappedJson` serialises no more of a request than the cap keeps. Whatever the body, capping
 * `cappedJson(value)` must give exactly what capping `JSON.stringify(value)` gives.
 */
import { describe, expect, it } from 'vitest';
import { cap, cappedJson } from '../../../plugins/usage-logger/redact.js';

const MAX = 64;

/** What a stored body must be: the whole JSON, capped. */
const expected = (value: unknown, max = MAX) => cap(JSON.stringify(value), max);

describe('cap', () => {
  it('keeps a text that fits, whole', () => {
    expect(cap('a'.repeat(MAX), MAX)).toBe('a'.repeat(MAX));
    expect(cap('é'.repeat(MAX / 2), MAX)).toBe('é'.repeat(MAX / 2));
  });

  it('cuts at the byte limit and says so', () => {
    expect(cap('a'.repeat(MAX + 1), MAX)).toBe(`${'a'.repeat(MAX)}…[truncated]`);
    // 'é' is two bytes: 32 of them fill 64 bytes, the 33rd is cut.
    expect(cap('é'.repeat(MAX / 2 + 1), MAX)).toBe(`${'é'.repeat(MAX / 2)}…[truncated]`);
  });

  it('never leaves half a character at the cut', () => {
    for (let pad = 0; pad < 8; pad++) {
      for (const char of ['é', '€', '😀']) {
        const text = 'a'.repeat(MAX - pad) + char.repeat(20);
        const capped = cap(text, MAX);
        const kept = capped.slice(0, -'…[truncated]'.length);
        expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(MAX);
        expect(kept).not.toContain('\uFFFD');
        expect(text.startsWith(kept)).toBe(true);
        // Only a partial character is dropped: what is kept is as long as the limit allows.
        expect(MAX - Buffer.byteLength(kept)).toBeLessThan(Buffer.byteLength(char));
      }
    }
  });

  it('measures a long text of one-byte characters that fits exactly', () => {
    expect(cap('a'.repeat(3 * MAX), 3 * MAX)).toBe('a'.repeat(3 * MAX));
  });
});

describe('cappedJson', () => {
  it('is JSON.stringify for a body within the cap', () => {
    const small = { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true };
    expect(cappedJson(small, 1_000)).toBe(JSON.stringify(small));
  });

  it('capped, gives what the whole JSON capped gives', () => {
    const bodies: unknown[] = [
      { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(500) }] },
      { model: 'm', messages: Array.from({ length: 50 }, (_, i) => ({ role: 'user', content: `message ${i}` })) },
      { model: 'm', messages: [{ role: 'user', content: 'quote " and backslash \\ and newline \n'.repeat(20) }] },
      { model: 'm', messages: [{ role: 'user', content: '😀'.repeat(100) }] },
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'é'.repeat(100) }] }], temperature: 0.5, n: 1 },
      { model: 'm', tools: Array.from({ length: 10 }, (_, i) => ({ type: 'function', function: { name: `f${i}`, parameters: { type: 'object' } } })) },
      { a: null, b: [1, 2, 3], c: { d: true }, e: 'end' },
    ];
    for (const body of bodies) {
      for (const max of [0, 1, 7, MAX, 100, 333]) {
        expect(cap(cappedJson(body, max), max)).toBe(expected(body, max));
      }
    }
  });

  it('the cut falls inside a surrogate pair the same way', () => {
    for (let pad = 0; pad < 6; pad++) {
      const body = { content: `${'a'.repeat(MAX - 14 - pad)}${'😀'.repeat(40)}` };
      expect(cap(cappedJson(body, MAX), MAX)).toBe(expected(body));
    }
  });

  it('serialises nothing past the cap but a null for each array element left: a huge body gives a short text', () => {
    const huge = { model: 'm', messages: Array.from({ length: 1_000 }, () => ({ role: 'user', content: 'x'.repeat(1_000) })) };
    const text = cappedJson(huge, MAX);
    // 1,000 elements, the first cut short and 999 nulls after it, where the whole body is over 1 MB.
    expect(text.length).toBeLessThan(MAX + 200 + 5 * 1_000);
    expect(JSON.stringify(huge).length).toBeGreaterThan(1_000_000);
    expect(cap(text, MAX)).toBe(expected(huge));
  });
});
