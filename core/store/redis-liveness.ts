/**
 * A connection to Redis that stops carrying answers without closing (a dead network path, an
 * address failed over elsewhere, a NAT entry that expired) is not noticed by its socket: writes go
 * into the kernel's buffer, nothing comes back, and the kernel gives up after about 15 minutes, or
 * never behind a path that drops silently. Every call meanwhile times out and is answered from the
 * replica's own memory, and budgeted keys are refused, long after Redis could answer again. So
 * while the connection is ready a PING goes every second; one left unanswered for `deadAfterMs`
 * ends the connection and a new one is made, as node-redis does after any drop.
 */
import type { RedisClientType } from 'redis';
import type { Logger } from '../logger.js';

export interface LivenessOptions {
  everyMs?: number;
  deadAfterMs?: number;
}

/** Starts watching; the function returned stops it (before the client is closed). */
export function watchRedisLiveness(client: RedisClientType, logger: Logger, { everyMs = 1000, deadAfterMs = 3000 }: LivenessOptions = {}): () => void {
  let probing = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped || probing || !client.isReady) return;
    probing = true;
    void answersWithin(client, deadAfterMs)
      .then(async (alive) => {
        if (alive || stopped || !client.isReady) return;
        logger.warn('redis: the connection answered nothing; connecting again', { waitedMs: deadAfterMs });
        client.destroy();
        // Retried without end by the client's reconnect strategy, until Redis answers or the store closes.
        await client.connect().catch(() => undefined);
      })
      .finally(() => (probing = false));
  }, everyMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

async function answersWithin(client: RedisClientType, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([client.ping().then(() => true, () => true), silence]);
  } finally {
    clearTimeout(timer);
  }
}
