/**
 * Counters in Redis, shared by every replica: each add is one atomic script (INCRBY, and PEXPIRE
 * only when the key was just created, or on every add with `renewTtl`), so two replicas adding at
 * once never lose an update and a window's expiry is set once. An add under a call id (`addOnce`)
 * first sets the id's own key if absent (SET NX PX, in the same script): a copy of a call already
 * applied finds it and changes nothing.
 */
import { createHash } from 'node:crypto';
import type { RedisClientType } from 'redis';
import type { AddOptions, BucketTake, Counters } from './counters.js';

const ADD = `
if KEYS[2] and not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[5]) then
  return tonumber(redis.call('GET', KEYS[1]) or '0')
end
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if ARGV[4] ~= '' and value < tonumber(ARGV[4]) then
  value = tonumber(ARGV[4])
  redis.call('SET', KEYS[1], value, 'KEEPTTL')
end
local ttl = tonumber(ARGV[2])
if ttl > 0 and (ARGV[3] == '1' or redis.call('PTTL', KEYS[1]) == -1) then redis.call('PEXPIRE', KEYS[1], ttl) end
return value`;

/**
 * Redis's own clock (TIME), so replicas with skewed clocks refill one bucket alike; a step back of
 * that clock refills nothing rather than taking tokens out (a key refused for as long as the step).
 */
const TAKE_FROM_BUCKET = `
local amount, capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) / 1000 * rate)
local allowed, wait = 0, 0
if tokens >= amount then
  tokens = tokens - amount
  allowed = 1
else
  wait = math.ceil((amount - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return { allowed, wait }`;

/**
 * node-redis's errors for a command it never sent (the client was closed or offline) and Redis's
 * own error replies: such a call changed nothing. Named rather than imported, since the driver is
 * loaded only when a Redis store is chosen.
 */
const NEVER_APPLIED = new Set(['ClientClosedError', 'ClientOfflineError', 'ErrorReply', 'SimpleError', 'BlobError']);

export class RedisCounters implements Counters {
  constructor(
    private readonly client: RedisClientType,
    /** Prefix for every key, so several gateways can share one Redis. */
    private readonly prefix = 'llm-gateway:counter:',
  ) {}

  async add(key: string, by: number, ttlMs?: number, options?: AddOptions): Promise<number> {
    return Number(await this.run(ADD, [this.prefix + key], addArguments(by, ttlMs, options)));
  }

  async addOnce(key: string, by: number, callId: string, rememberMs: number, ttlMs?: number, options?: AddOptions): Promise<number> {
    const args = addArguments(by, ttlMs, options);
    args.push(String(Math.max(1, Math.trunc(rememberMs))));
    return Number(await this.run(ADD, [this.prefix + key, `${this.prefix}#call:${callId}`], args));
  }

  neverApplied(error: unknown): boolean {
    return error instanceof Error && NEVER_APPLIED.has(error.constructor.name);
  }

  /** INCR is atomic: no two replicas get the same number. */
  async next(key: string): Promise<number> {
    return this.client.incr(this.prefix + key);
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

  async takeFromBucket(key: string, amount: number, capacity: number, refillPerSecond: number): Promise<BucketTake> {
    const [allowed, wait] = (await this.run(TAKE_FROM_BUCKET, [this.prefix + key], [String(amount), String(capacity), String(refillPerSecond)])) as [number, number];
    return { allowed: Number(allowed) === 1, retryAfterMs: Number(wait) };
  }

  async close(): Promise<void> {
    // The client is the store's; it closes it.
  }

  /**
   * Runs a script by its SHA-1 (EVALSHA), so that each call sends a few bytes rather than the
   * script; a server that does not know it yet (first call, restarted, flushed) gets it once with
   * EVAL, which also keeps it for the calls after.
   */
  private async run(script: string, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.client.evalSha(shaOf(script), { keys, arguments: args });
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return this.client.eval(script, { keys, arguments: args });
    }
  }
}

function addArguments(by: number, ttlMs: number | undefined, options: AddOptions | undefined): string[] {
  return [String(Math.trunc(by)), String(ttlMs ?? 0), options?.renewTtl === true ? '1' : '0', options?.atLeast === undefined ? '' : String(Math.trunc(options.atLeast))];
}

const shas = new Map<string, string>();

function shaOf(script: string): string {
  let sha = shas.get(script);
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}
