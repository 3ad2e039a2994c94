/** Request ids: the client's own when it is a sane token, else a new UUID version 7 (ordered by time). */
import { describe, expect, it } from 'vitest';
import { newRequestId, requestIdFrom } from '../../../core/http/request-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('keeps a client\'s sane id and replaces anything else', () => {
    expect(requestIdFrom('trace-123:abc@x.y')).toBe('trace-123:abc@x.y');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
    for (const bad of [undefined, '', 'has space', 'x'.repeat(129), 'semi;colon', 'new\nline']) expect(requestIdFrom(bad)).toMatch(UUID_V7);
  });

  it('is a UUID version 7 whose first 48 bits are the time in milliseconds', () => {
    const now = Date.UTC(2026, 11, 1, 12, 0, 0, 123);
    const id = newRequestId(now);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
    expect(newRequestId(0).startsWith('00000000-0000-7')).toBe(true);
  });

  it('sorts by time (the usage log\'s key is appended to, not scattered), and never repeats', () => {
    const earlier = Array.from({ length: 1000 }, () => newRequestId(1_700_000_000_000));
    const later = Array.from({ length: 1000 }, () => newRequestId(1_700_000_000_001));
    expect(later.every((id) => earlier.every((before) => id > before))).toBe(true);
    expect(new Set([...earlier, ...later]).size).toBe(2000);
  });
});
