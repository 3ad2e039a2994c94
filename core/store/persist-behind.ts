/**
 * Saves in-memory counters to a Keyv namespace behind the requests: a snapshot of what changed,
 * every second and at shutdown, and a restore at start. A crash loses at most the last second of
 * counts, which for windows and cursors means a slightly generous limit, never a wrong answer.
 */
import type Keyv from 'keyv';
import type { Logger } from '../logger.js';
import type { MemoryCounters } from './memory-counters.js';

const SNAPSHOT_KEY = 'snapshot';

type Snapshot = Record<string, { value: number; expiresAt: number | null }>;

export async function persistBehind(counters: MemoryCounters, kv: Keyv, logger: Logger, intervalMs = 1000): Promise<{ stop(): Promise<void> }> {
  const saved = (await kv.get(SNAPSHOT_KEY).catch(() => undefined)) as Snapshot | undefined;
  const state: Snapshot = { ...saved };
  counters.restore(Object.entries(state).map(([key, e]) => [key, { value: e.value, expiresAt: e.expiresAt ?? Infinity }]));

  let writing: Promise<void> = Promise.resolve();
  const save = () => {
    const { set, deleted } = counters.takeChanges();
    if (set.length === 0 && deleted.length === 0) return writing;
    for (const [key, entry] of set) state[key] = { value: entry.value, expiresAt: Number.isFinite(entry.expiresAt) ? entry.expiresAt : null };
    for (const key of deleted) delete state[key];
    const now = Date.now();
    for (const [key, entry] of Object.entries(state)) if (entry.expiresAt !== null && entry.expiresAt <= now) delete state[key];
    writing = writing.then(() => kv.set(SNAPSHOT_KEY, state)).then(
      () => undefined,
      (error: Error) => logger.warn('could not save counters; they stay in memory', { error: error.message }),
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
