/**
 * Keys with a daily budget made through the admin API, and what each has spent: for tests of what a
 * request costs a key. `url` is read at each call, so a gateway started in `beforeAll` can be named
 * before it exists.
 */
import { expect } from 'vitest';

export interface KeySpend {
  /** A new key with a daily budget of `dailyUsd` (10 by default). */
  createKey(dailyUsd?: number): Promise<{ id: string; secret: string }>;
  /** What the key has spent today, by its budget's count. */
  spentUsd(id: string): Promise<number>;
  /** The cost of the key's newest usage record; undefined until one is written. */
  loggedCostUsd(id: string): Promise<number | null | undefined>;
}

export function keySpend(url: () => string, adminKey: string): KeySpend {
  const admin = { authorization: `Bearer ${adminKey}` };
  return {
    async createKey(dailyUsd = 10) {
      const res = await fetch(`${url()}/admin/keys`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `spend-${Math.random().toString(36).slice(2)}`, budget: { dailyUsd } }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; secret: string };
    },
    async spentUsd(id) {
      const res = await fetch(`${url()}/admin/keys/${id}`, { headers: admin });
      return ((await res.json()) as { usage: { spentUsd: { daily: number } } }).usage.spentUsd.daily;
    },
    async loggedCostUsd(id) {
      const res = await fetch(`${url()}/admin/logs?keyId=${id}`, { headers: admin });
      const body = (await res.json()) as { data?: Array<{ costUsd: number | null }> };
      return body.data?.[0]?.costUsd;
    },
  };
}
