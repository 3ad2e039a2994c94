/**
 * Counters in Redis, shared by every replica: each add is one atomic script (INCRBY, and PEXPIRE
 * only when the key was just created), so two replicas adding at once never lose an update and a
 * window's expiry is set once.
 */
import type { RedisClientType } from 'redis';
import type { Counters } from './counters.js';

const ADD = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl > 0 and redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ttl) end
return value`;

export class RedisCounters implements Counters {
  constructor(
    private readonly client: RedisClientType,
    /** Prefix for every key, so several gateways can share one Redis. */
    private readonly prefix = 'llm-gateway:counter:',
  ) {}

  async add(key: string, by: number, ttlMs?: number): Promise<number> {
    const value = await this.client.eval(ADD, { keys: [this.prefix + key], arguments: [String(Math.trunc(by)), String(ttlMs ?? 0)] });
    return Number(value);
  }

  async get(key: string): Promise<number> {
    const value = await this.client.get(this.prefix + key);
    return value === null ? 0 : Number(value);
  }

  async ttl(key: string): Promise<number | undefined> {
    const ms = await this.client.pTTL(this.prefix + key);
    return ms >= 0 ? ms : undefined;
  }

  async delete(key: string): Promise<void> {
    await this.client.del(this.prefix + key);
  }

  async close(): Promise<void> {
    // The client is the store's; it closes it.
  }
}
