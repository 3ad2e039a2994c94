/**
 * Sessions ended by logging out, so that a copy of the cookie stops working too. The end is kept
 * in the store until the session would have expired, so every replica sharing the store learns
 * of it, and here at once. A replica asks the store about a session it has not checked for
 * `recheckMs`: a logout elsewhere reaches it within that time. Only sessions whose cookie is
 * signed with the admin key get this far, and at most MAX_CHECKED of them are remembered. A store
 * that does not answer in time leaves a session as it was last known: the dashboard is what an
 * operator reaches for when the store is in trouble.
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from 'llm-gateway/plugin';
import { withinMs, type TypedKv } from 'llm-gateway/store';
import type { Session } from './session.js';

export type EndedRecords = { [id: `ended:${string}`]: true };

const MAX_CHECKED = 1_000;
const STORE_WAIT_MS = 500;

export class EndedSessions {
  private readonly checked = new LRUCache<string, { ended: boolean; until: number }>({ max: MAX_CHECKED });

  constructor(
    private readonly kv: TypedKv<EndedRecords>,
    private readonly logger: Logger,
    private readonly recheckMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async end(session: Session): Promise<void> {
    this.checked.set(session.id, { ended: true, until: session.expiresAt });
    try {
      await withinMs(STORE_WAIT_MS, this.kv.set(`ended:${session.id}`, true, Math.max(1, session.expiresAt - this.now())));
    } catch (error) {
      this.logger.warn('dashboard: a logout could not be stored; other replicas accept the session until it expires', { error: (error as Error).message });
    }
  }

  /** At once for a session checked within `recheckMs` (every page's requests but the first). */
  isEnded(session: Session): boolean | Promise<boolean> {
    const known = this.checked.get(session.id);
    if (known && (known.ended || known.until > this.now())) return known.ended;
    return this.check(session, known?.ended ?? false);
  }

  private async check(session: Session, lastKnown: boolean): Promise<boolean> {
    try {
      const ended = (await withinMs(STORE_WAIT_MS, this.kv.get(`ended:${session.id}`))) === true;
      this.checked.set(session.id, { ended, until: this.now() + this.recheckMs });
      return ended;
    } catch {
      return lastKnown;
    }
  }
}
