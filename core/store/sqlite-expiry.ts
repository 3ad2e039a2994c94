/**
 * Expired records leave the SQLite file. Keyv keeps a record's expiry inside its value
 * (`{"value":…,"expires":<ms>}`) and deletes an expired record only when something reads it, and
 * @keyv/sqlite has no expiry of its own: records nobody reads again (a stored response, a cache
 * log line, an alert's claim) stayed in the file for good, and a gateway that runs for months grew
 * it without bound. A sweep deletes them, a bounded number of rows a statement, when the store
 * opens and every ten minutes, on a connection of its own.
 */
import type { Logger } from '../logger.js';

export const SWEEP_EVERY_MS = 10 * 60_000;
const ROWS_PER_STATEMENT = 1000;

/** A statement on the sweep's own connection (`@keyv/sqlite`'s `query`). */
export type Query = (sql: string, ...parameters: unknown[]) => Promise<unknown>;

/**
 * Deletes the records of `table` whose expiry is before `now`, a batch a statement, and returns
 * how many. A value that is not JSON is left alone (and does not fail the statement).
 */
export async function deleteExpired(query: Query, now = Date.now(), table = 'keyv', goOn: () => boolean = () => true): Promise<number> {
  const expired = `CASE WHEN json_valid(value) THEN json_extract(value, '$.expires') END`;
  const statement = `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${expired} < ? LIMIT ${ROWS_PER_STATEMENT})`;
  let deleted = 0;
  for (;;) {
    await query(statement, now);
    const [row] = (await query('SELECT changes() AS n')) as Array<{ n: number }>;
    const n = Number(row?.n ?? 0);
    deleted += n;
    if (n < ROWS_PER_STATEMENT || !goOn()) return deleted;
  }
}

/** Sweeps now and every SWEEP_EVERY_MS until stopped; `stop` waits for a sweep under way. */
export function sweepExpired(query: Query, logger: Logger): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> | undefined;
  const sweep = () => {
    if (running || stopped) return;
    running = deleteExpired(query, Date.now(), 'keyv', () => !stopped)
      .then((deleted) => void (deleted > 0 && logger.debug('expired store records deleted', { deleted })))
      .catch((error: Error) => logger.warn('could not delete expired store records', { error: error.message }))
      .finally(() => (running = undefined));
  };
  sweep();
  const timer = setInterval(sweep, SWEEP_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
