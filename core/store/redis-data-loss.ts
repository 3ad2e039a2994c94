/**
 * A Redis that forgets. Everything a Redis store holds (virtual keys and their revocations, team
 * budgets, spend, live config changes, dashboard sessions, the cache's log) lives only there, so a
 * Redis that keeps nothing on disk, restarted, comes back empty: every client's key is unknown (a
 * fleet-wide 401) and nothing else says why. One that persists by snapshots alone comes back as it
 * was at its last snapshot: a key revoked since works again, and spend since is forgotten.
 *
 * Two things are done about it:
 * - at open, how Redis keeps its data is read (`CONFIG GET`), and a setting that loses it is named
 *   (`start` logs it, `check` prints it). A managed Redis may refuse CONFIG: then nothing is said.
 * - while open, every few seconds, each replica looks at two records it keeps in Redis: an epoch, a
 *   random name the first replica wrote (set only if absent), and a clock every replica adds one to.
 *   A Redis that came back empty (flushed, restarted without persistence) has another epoch than the
 *   one this replica knew, however few ticks the fleet has made; one restored from an older snapshot,
 *   or failed over to a replica that had fallen behind, has the epoch but answers a clock below the
 *   last one this replica was given (the clock only ever grows). Either way the replica says so in an
 *   error, and counts the loss (`Store.dataLosses`) for readers that follow a log or a version in
 *   the store.
 */
import { randomUUID } from 'node:crypto';
import type { RedisClientType } from 'redis';
import type { Logger } from '../logger.js';
import { withinMs } from './within-ms.js';

/** The clock's key: one for every gateway sharing the Redis database. */
export const STORE_CLOCK_KEY = 'llm-gateway:store-clock';
/** The epoch's key: a random name, written by the first replica to look. */
export const STORE_EPOCH_KEY = 'llm-gateway:store-epoch';

/** What this Redis's settings will lose, in words; empty when it keeps its data (or does not say). */
export async function persistenceWarnings(client: RedisClientType, waitMs = 1000): Promise<string[]> {
  const [appendonly, save, eviction] = await Promise.all(['appendonly', 'save', 'maxmemory-policy'].map((name) => configValue(client, name, waitMs)));
  const warnings: string[] = [];
  if (appendonly === 'no' && save === '') {
    warnings.push(
      'Redis keeps nothing on disk (appendonly no, no save points): when it restarts, every virtual key, team budget, spend and live change the gateway keeps there is gone. Run it with appendonly yes (docs/deployment.md).',
    );
  } else if (appendonly === 'no' && save !== undefined) {
    warnings.push(
      `Redis persists by snapshots only (save "${save}", appendonly no): a crash takes it back to its last snapshot, so a key revoked since works again and spend since is forgotten. Run it with appendonly yes (docs/deployment.md).`,
    );
  }
  if (eviction?.startsWith('allkeys-')) {
    warnings.push(`Redis evicts any key when it is full (maxmemory-policy ${eviction}): virtual keys and budgets among them. Use noeviction or a volatile-* policy (docs/deployment.md).`);
  }
  return warnings;
}

async function configValue(client: RedisClientType, name: string, waitMs: number): Promise<string | undefined> {
  try {
    const reply = (await withinMs(waitMs, client.configGet(name))) as Record<string, string>;
    return reply[name];
  } catch {
    return undefined; // CONFIG renamed or refused (managed Redis), or no answer: nothing to say
  }
}

export interface DataLossWatch {
  /** How many times this process saw the store lose data since it opened. */
  readonly losses: number;
  stop(): void;
}

/** Starts the clock (at once, every `everyMs`, and whenever the connection is made again). */
export function watchForDataLoss(client: RedisClientType, logger: Logger, { everyMs = 2000, waitMs = 1000 } = {}): DataLossWatch {
  let known: { epoch: string; clock: number } | undefined;
  let losses = 0;
  let ticking = false;
  let stopped = false;
  const candidate = randomUUID();
  const tick = async () => {
    if (ticking || stopped || !client.isReady) return;
    ticking = true;
    try {
      // One transaction: the epoch and the clock are read from the same state of Redis.
      const [, epoch, clock] = (await withinMs(waitMs, client.multi().setNX(STORE_EPOCH_KEY, candidate).get(STORE_EPOCH_KEY).incr(STORE_CLOCK_KEY).exec())) as unknown as [unknown, string, number];
      if (known !== undefined && (epoch !== known.epoch || clock <= known.clock)) {
        losses++;
        logger.error(
          'the store lost data: Redis answered an older state than it did before (flushed, restarted without persistence, restored from an older snapshot, or failed over to a replica that had fallen behind). Virtual keys, team budgets, spend, revocations and live changes made before may be gone or undone; restore them, and run Redis with appendonly yes (docs/deployment.md).',
          epoch !== known.epoch ? { emptied: true } : { clockWas: known.clock, clockIs: clock },
        );
      }
      known = { epoch, clock };
    } catch {
      // Redis did not answer: the liveness watch (redis-liveness.ts) deals with a connection that is gone.
    } finally {
      ticking = false;
    }
  };
  const onReady = () => void tick();
  client.on('ready', onReady);
  void tick();
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return {
    get losses() {
      return losses;
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      client.off('ready', onReady);
    },
  };
}
