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
/**
 * Rows read a statement. Finding a record's expiry parses its whole value (stored responses run to
 * megabytes), so the scan goes a few rows a statement, each statement only a read, and the expired
 * ones are deleted by rowid: one DELETE whose SELECT parsed the whole table held the file's write
 * lock for seconds on a gigabyte of responses, and every store write (an answer with `store: true`,
 * written before the client gets it) waited behind it.
 */
const SCAN_ROWS = 50;

/** A statement on the sweep's own connection (`@keyv/sqlite`'s `query`). */
export type Query = (sql: string, ...parameters: unknown[]) => Promise<unknown>;

/**
 * Deletes the records of `table` whose expiry is before `now`, scanning a few rows a statement,
 * and returns how many. A value that is not JSON is left alone (and does not fail the statement).
 */
export async function deleteExpired(query: Query, now = Date.now(), table = 'keyv', goOn: () => boolean = () => true): Promise<number> {
  const expired = `(CASE WHEN json_valid(value) THEN json_extract(value, '$.expires') END) < ?`;
  let after = Number.MIN_SAFE_INTEGER;
  let deleted = 0;
  for (;;) {
    const rows = (await query(`SELECT rowid AS id, ${expired} AS gone FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ${SCAN_ROWS}`, now, after)) as Array<{ id: number; gone: number | null }>;
    if (rows.length === 0) return deleted;
    after = rows[rows.length - 1]!.id;
    const gone = rows.filter((row) => row.gone === 1).map((row) => Number(row.id));
    if (gone.length > 0) {
      // Looked at again: a record written anew since the scan read it keeps its new expiry.
      await query(`DELETE FROM ${table} WHERE rowid IN (${gone.join(',')}) AND ${expired}`, now);
      const [row] = (await query('SELECT changes() AS n')) as Array<{ n: number }>;
      deleted += Number(row?.n ?? 0);
    }
    if (!goOn()) return deleted;
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
