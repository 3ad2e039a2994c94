import { describe, expect, it } from 'vitest';
import { readControls } from '../../../plugins/cache/controls.js';

describe('client controls', () => {
  it.each([
    [{}, undefined, { mode: 'use' }],
    [{ 'cache-control': 'no-store' }, undefined, { mode: 'skip' }],
    [{ 'cache-control': 'no-cache' }, undefined, { mode: 'refresh' }],
    [{ 'cache-control': 'No-Cache, max-age=30' }, undefined, { mode: 'refresh', maxAgeSeconds: 30 }],
    [{ 'cache-control': 'max-age="15"' }, undefined, { mode: 'use', maxAgeSeconds: 15 }],
    [{ 'cache-control': 'max-age=soon' }, undefined, { mode: 'use' }],
    [{ 'x-gateway-cache': 'SKIP' }, undefined, { mode: 'skip' }],
    [{ 'x-gateway-cache': 'refresh' }, undefined, { mode: 'refresh' }],
    [{ 'x-gateway-cache': 'refresh', 'cache-control': 'no-store' }, undefined, { mode: 'skip' }],
    [{}, { mode: 'skip' as const }, { mode: 'skip' }],
    [{ 'cache-control': 'no-cache' }, { mode: 'skip' as const }, { mode: 'skip' }],
    [{}, { ttlSeconds: 5, threshold: 0.99 }, { mode: 'use', ttlSeconds: 5, threshold: 0.99 }],
  ])('%j with %j', (headers, option, expected) => {
    expect(readControls(headers, option)).toEqual(expected);
  });
});
