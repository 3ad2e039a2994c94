/**
 * Saves in-memory counters to a Keyv namespace behind the requests: a snapshot of what changed,
 * every second and at shutdown, and a restore at start. A crash loses at most the last second of
 * counts, which for windows and cursors means a slightly generous limit, never a wrong answer.
 * A snapshot that cannot be read is not taken for "none": budgets and limits would start again at
 * 0 and the next save would overwrite what was spent. The read is tried a few times, then the
 * store refuses to open, saying why.
 */
import type Keyv from 'keyv';
import type { Logger } from '../logger.js';
import type { MemoryCounters } from './memory-counters.js';
import { rarely } from '../rarely.js';
import { steadyNow } from './steady-now.js';

const SNAPSHOT_KEY = 'snapshot';

type Snapshot = Record<string, { value: number; expiresAt: number | null }>;

/**
 * `mayWrite`: false once this process no longer holds the SQLite file (sqlite-owner.ts): another
 * gateway saves there now, and this one's snapshot would overwrite what that one counted.
 */
export async function persistBehind(counters: MemoryCounters, kv: Keyv, logger: Logger, intervalMs = 1000, mayWrite: () => boolean = () => true): Promise<{ stop(): Promise<void> }> {
  const state = await restoreCounters(counters, kv, logger);

  let writing: Promise<void> = Promise.resolve();
  let failing = false;
  const failureLog = rarely<'save'>();
  const save = () => {
    if (!mayWrite()) return writing;
    const { set, deleted } = counters.takeChanges();
    if (set.length === 0 && deleted.length === 0) return writing;
    // Saved on the wall clock, which the next process shares; the counters run on this process's
    // own (steady-now.ts), which drifts from it by any step the wall clock took since the start.
    const wallOffset = Date.now() - steadyNow();
    for (const [key, entry] of set) state[key] = { value: entry.value, expiresAt: Number.isFinite(entry.expiresAt) ? entry.expiresAt + wallOffset : null };
    for (const key of deleted) delete state[key];
    const now = Date.now();
    for (const [key, entry] of Object.entries(state)) if (entry.expiresAt !== null && entry.expiresAt <= now) delete state[key];
    writing = writing.then(() => kv.set(SNAPSHOT_KEY, state)).then(
      () => {
        if (failing) logger.info('counters saved again');
        failing = false;
      },
      (error: Error) => {
        failing = true;
        // A full disk fails every save, a second apart: the first said, then one a minute.
        failureLog('save', (notLogged) => logger.warn('could not save counters; they stay in memory', { error: error.message, ...(notLogged ? { failuresNotLogged: notLogged } : {}) }));
      },
    );
    return writing;
  };
  const timer = setInterval(save, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await save();
    },
  };
}

/**
 * Only the restore, for a short-lived command beside a running gateway (`llm-gateway keys`): a
 * save writes every counter as this process knows it, which would put back what the gateway has
 * counted since this process read them.
 */
export async function restoreCounters(counters: MemoryCounters, kv: Keyv, logger: Logger): Promise<Snapshot> {
  const state: Snapshot = { ...(await readSnapshot(kv, logger)) };
  // Wall-clock times (see the save) on this process's steady clock.
  const steadyOffset = steadyNow() - Date.now();
  counters.restore(Object.entries(state).map(([key, e]) => [key, { value: e.value, expiresAt: e.expiresAt === null ? Infinity : e.expiresAt + steadyOffset }]));
  return state;
}

const READ_ATTEMPTS = 3;

async function readSnapshot(kv: Keyv, logger: Logger, pauseMs = 200): Promise<Snapshot | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await kv.get(SNAPSHOT_KEY)) as Snapshot | undefined;
    } catch (error) {
      const message = (error as Error).message;
      if (attempt >= READ_ATTEMPTS) {
        throw new Error(
          `cannot read the saved counters (budgets spent, rate-limit windows, cursors): ${message}. ` +
            `Not starting with them at 0; fix or move the SQLite file, or delete its '${kv.namespace ?? 'counters'}:${SNAPSHOT_KEY}' row to start afresh.`,
          { cause: error },
        );
      }
      logger.warn('could not read the saved counters; trying again', { error: message, attempt });
      await new Promise((r) => setTimeout(r, pauseMs * attempt));
    }
  }
}
