/**
 * What the client asks of the cache for one request, from standard `Cache-Control` and the
 * gateway's `x-gateway-cache` header, and from the body's `gateway.cache` object:
 *
 * - `Cache-Control: no-store` or `x-gateway-cache: skip`: neither read nor write (`skip`);
 * - `Cache-Control: no-cache` or `x-gateway-cache: refresh`: do not read, ask upstream, store the
 *   new answer (`refresh`);
 * - `Cache-Control: max-age=N`: only an entry at most N seconds old is a hit;
 * - `gateway.cache.ttlSeconds`: keep this answer for less than the configured TTL;
 * - `gateway.cache.threshold`: a stricter similarity for a semantic hit (higher than configured).
 *
 * A client can only narrow what the cache does: a longer TTL or a looser threshold than the
 * operator's is ignored, and nothing a client sends reaches another scope's entries.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type CacheMode = 'use' | 'refresh' | 'skip';

export interface CacheControls {
  mode: CacheMode;
  /** Seconds: an older entry is not a hit. */
  maxAgeSeconds?: number;
  /** Seconds to keep this answer, when under the configured TTL. */
  ttlSeconds?: number;
  /** A stricter semantic threshold. */
  threshold?: number;
}

/** The body's `gateway.cache` object, declared as a request option. */
export interface CacheRequestOption {
  mode?: CacheMode;
  ttlSeconds?: number;
  threshold?: number;
}

export const cacheRequestOption = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { enum: ['use', 'refresh', 'skip'] },
    ttlSeconds: { type: 'integer', minimum: 0 },
    threshold: { type: 'number', minimum: 0, maximum: 1 },
  },
};

export function readControls(headers: IncomingHttpHeaders, option: CacheRequestOption | undefined): CacheControls {
  const directives = parseCacheControl(headers['cache-control']);
  const header = String(headers['x-gateway-cache'] ?? '').trim().toLowerCase();
  let mode: CacheMode = option?.mode ?? 'use';
  if (header === 'refresh' || directives.has('no-cache')) mode = mode === 'skip' ? 'skip' : 'refresh';
  if (header === 'skip' || directives.has('no-store')) mode = 'skip';
  const maxAge = seconds(directives.get('max-age'));
  return {
    mode,
    ...(maxAge !== undefined ? { maxAgeSeconds: maxAge } : {}),
    ...(option?.ttlSeconds !== undefined ? { ttlSeconds: option.ttlSeconds } : {}),
    ...(option?.threshold !== undefined ? { threshold: option.threshold } : {}),
  };
}

function parseCacheControl(value: string | string[] | undefined): Map<string, string | undefined> {
  const directives = new Map<string, string | undefined>();
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  for (const part of text.split(',')) {
    const [name, argument] = part.split('=', 2).map((s) => s.trim());
    if (name) directives.set(name.toLowerCase(), argument?.replace(/^"|"$/g, ''));
  }
  return directives;
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return undefined;
  return Number(value);
}
