/**
 * Which dashboard sessions are live: an allow-list in the store. A login writes `session:<id>` (its
 * expiry, with the session's lifetime as the store's TTL) before the cookie is set; a logout deletes
 * it; a session whose record is missing is logged out, whatever its cookie says. So a store that lost
 * its data (Redis restarted without persistence, flushed, or rolled back to a snapshot older than
 * the login) logs everyone out, rather than letting logged-out (perhaps stolen) cookies in again, as
 * a deny-list of ended sessions would. Cookies issued before this list existed have no record: an
 * upgrade logs them out once.
 *
 * Every replica sharing the store reads the record; a replica asks the store about a session it has
 * not checked for `recheckMs` (at most MAX_CHECKED sessions remembered), so a logout elsewhere
 * reaches it within that time, and this replica at once (a session it saw end stays ended here).
 *
 * A store that does not answer within STORE_WAIT_MS is neither "live" nor "missing": a session this
 * replica saw live (confirmed by the store, or issued here) within `graceMs` stays valid meanwhile,
 * so a short outage (a failover, a restart with persistence) does not log out the operator who is
 * looking into it; any other session is refused, since nothing says it is still live: an ended
 * session does not get in through an outage, and a store down for longer than `graceMs` logs this
 * replica's sessions out (the admin key still opens the admin API as a bearer token, and a login
 * still works, on this replica, for `graceMs`). While the store does not answer, a session is asked
 * about at most once per `recheckMs`, so pages do not each wait for it.
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from 'llm-gateway/plugin';
import { withinMs, type TypedKv } from 'llm-gateway/store';
import type { Session } from './session.js';

/** The session's expiry (epoch ms), kept until then. */
export type LiveRecords = { [id: `session:${string}`]: number };

const MAX_CHECKED = 1_000;
const STORE_WAIT_MS = 500;
const RECHECK_MS = 5_000;
const OUTAGE_GRACE_MS = 5 * 60_000;

interface Known {
  live: boolean;
  /** Ask the store again after this. */
  until: number;
  /** When the store last said live (or this replica issued it): what an outage is measured from. */
  confirmedAt?: number;
  /** Logged out on this replica: stays ended, whatever the store says later (a rollback). */
  endedHere?: boolean;
}

export class LiveSessions {
  private readonly checked = new LRUCache<string, Known>({ max: MAX_CHECKED });

  constructor(
    private readonly kv: TypedKv<LiveRecords>,
    private readonly logger: Logger,
    private readonly recheckMs = RECHECK_MS,
    private readonly graceMs = OUTAGE_GRACE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** At login, before the cookie is set. */
  async start(session: Session): Promise<void> {
    const now = this.now();
    this.checked.set(session.id, { live: true, until: now + this.recheckMs, confirmedAt: now });
    try {
      await withinMs(STORE_WAIT_MS, this.kv.set(`session:${session.id}`, session.expiresAt, Math.max(1, session.expiresAt - now)));
    } catch (error) {
      this.logger.warn('dashboard: a login could not be stored; the session works on this replica only, and only while the store does not answer', { error: (error as Error).message });
    }
  }

  /** At logout: over for every copy of the cookie, on every replica sharing the store. */
  async end(session: Session): Promise<void> {
    this.checked.set(session.id, { live: false, until: Infinity, endedHere: true });
    try {
      await withinMs(STORE_WAIT_MS, this.kv.delete(`session:${session.id}`));
    } catch (error) {
      this.logger.warn('dashboard: a logout could not be stored; other replicas accept the session until it expires or the store loses it', { error: (error as Error).message });
    }
  }

  /** At once for a session checked within `recheckMs` (every page's requests but the first). */
  isLive(session: Session): boolean | Promise<boolean> {
    const known = this.checked.get(session.id);
    if (known && (known.endedHere || known.until > this.now())) return known.live;
    return this.check(session, known);
  }

  private async check(session: Session, known: Known | undefined): Promise<boolean> {
    let answer: boolean | undefined;
    try {
      answer = typeof (await withinMs(STORE_WAIT_MS, this.kv.get(`session:${session.id}`))) === 'number';
    } catch {
      answer = undefined;
    }
    // Logged out here while the store was asked: the logout stands, whatever the answer says.
    if (this.checked.get(session.id)?.endedHere) return false;
    const now = this.now();
    if (answer !== undefined) {
      this.checked.set(session.id, answer ? { live: true, until: now + this.recheckMs, confirmedAt: now } : { live: false, until: now + this.recheckMs });
      return answer;
    }
    // No answer: live only if seen live lately (see above); asked again after `recheckMs`.
    const live = known?.confirmedAt !== undefined && now - known.confirmedAt < this.graceMs;
    this.checked.set(session.id, { live, until: now + this.recheckMs, ...(known?.confirmedAt !== undefined ? { confirmedAt: known.confirmedAt } : {}) });
    return live;
  }
}
