/**
 * Where keys are in the list, newest first, a page at a time: a gateway with a hundred thousand
 * keys answers `GET /admin/keys` with a page, not with every record in one body.
 *
 * Every key has a place. Keys created since slots (2026-12-04) hold a slot each, numbered from 1
 * by a counter (`slot:<n>`); keys created before them are in the legacy `index` array, which
 * nothing writes any more. One number says where a page stops, for both: a slot is its own number,
 * and the legacy entry at `i` is at `i - (length - 1)` (0 for the last one, negative before it),
 * so walking down from the highest slot reaches the legacy keys last, the oldest of all. A cursor is
 * that number: the next page starts below it. Keys created while a client pages take higher slots,
 * above the first page, and never push a key onto a page twice. Each create also leaves a mark of
 * its slot (`top`), where the first page starts looking for the newest.
 */
import type { Counters, TypedKv } from 'llm-gateway/store';
import type { KeyRecords } from './keys.js';

/** The counter slots are drawn from. */
export const SLOTS = 'keys:slots';
/** Bound on slots drawn for one key, and on slots read past the counter while listing. */
export const MAX_SLOT_STEPS = 1_000;
/** Records read at once: the requests' key lookups share the store's connection. */
export const LIST_BATCH = 100;
/** The most keys one page holds. */
export const MAX_PAGE_SIZE = 1_000;

/** Ids of one page, newest first, and where the next one starts (absent on the last page). */
export interface IdPage {
  ids: string[];
  next?: string;
}

export class KeyPlaces {
  constructor(
    private readonly kv: TypedKv<KeyRecords>,
    private readonly counters: Counters,
  ) {}

  /**
   * Up to `limit` ids below `cursor` (from the newest when absent). A cursor past 0 is the slot of
   * the last key of the page before, which holds a key for good (keys are revoked, never deleted):
   * one that holds none was not given out here, and is refused.
   */
  async page(limit: number, cursor?: number): Promise<IdPage | undefined> {
    if (cursor !== undefined && cursor > 0 && (await this.kv.get(`slot:${cursor}`)) === undefined) return undefined;
    let place = cursor === undefined ? await this.top() : cursor - 1;
    const found: Array<{ id: string; place: number }> = [];
    const seen = new Set<string>();
    // One more than asked for: whether another page follows is known here, not by a page that
    // turns out empty. The first read is what the page needs; past slots a failed create left
    // empty, a whole batch at a time, so that holes cost no round trip each.
    let batch = Math.min(LIST_BATCH, limit + 1);
    while (found.length <= limit && place >= 1) {
      const places = Array.from({ length: Math.min(batch, place) }, (_, i) => place - i);
      const ids = await Promise.all(places.map((slot) => this.kv.get(`slot:${slot}`)));
      for (let i = 0; i < ids.length && found.length <= limit; i++) {
        const id = ids[i];
        if (id !== undefined && !seen.has(id)) (seen.add(id), found.push({ id, place: places[i]! }));
      }
      place -= places.length;
      batch = LIST_BATCH;
    }
    // Past the slots (place is 0 then, or below it where the cursor was a legacy key's): the keys
    // made before slots, newest first.
    if (found.length <= limit && place < 1) {
      const index = (await this.kv.get('index')) ?? [];
      for (let i = index.length - 1 + place; i >= 0 && found.length <= limit; i--) {
        const id = index[i]!;
        if (!seen.has(id)) (seen.add(id), found.push({ id, place: i - (index.length - 1) }));
      }
    }
    const page = found.slice(0, limit);
    return found.length > limit ? { ids: page.map((f) => f.id), next: String(page.at(-1)!.place) } : { ids: page.map((f) => f.id) };
  }

  /**
   * The highest slot taken. The counter and the mark each create leaves (`top`) say about where it
   * is, and the slots past them are read until one is empty. The mark is read strictly (a store
   * that does not answer fails the page): the counter alone, on Redis, is answered from this
   * process's own count when Redis is slow, 0 in a replica that never drew a slot, and a page
   * began a thousand keys down.
   */
  private async top(): Promise<number> {
    const [counted, marked] = await Promise.all([this.counters.get(SLOTS), this.kv.get('top')]);
    const hint = Math.max(counted, marked ?? 0);
    let slot = hint;
    while (slot < hint + MAX_SLOT_STEPS && (await this.kv.get(`slot:${slot + 1}`)) !== undefined) slot++;
    // A store whose keys were all made before the mark gets one now, so that its next listings
    // do not hang on the counter alone. Only a lower bound: a listing reads on past it anyway.
    if (marked === undefined && slot > 0) await this.kv.set('top', slot).catch(() => undefined);
    return slot;
  }
}

/** A cursor as `page` made it, or undefined when it is not one. */
export function parseCursor(cursor: string): number | undefined {
  if (!/^-?\d{1,15}$/.test(cursor)) return undefined;
  const place = Number(cursor);
  return Number.isSafeInteger(place) ? place : undefined;
}
