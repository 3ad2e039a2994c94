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
 * above the first page, and never push a key onto a page twice.
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

  /** Up to `limit` ids below `cursor` (from the newest when absent). */
  async page(limit: number, cursor?: number): Promise<IdPage> {
    let legacy: readonly string[] | undefined;
    const legacyIndex = async () => (legacy ??= (await this.kv.get('index')) ?? []);
    // A cursor above every slot (made up, or from another store) starts at the top, not at a
    // long walk down through slots no key ever held.
    let place = Math.min(await this.top(), cursor === undefined ? Infinity : cursor - 1);
    const found: Array<{ id: string; place: number }> = [];
    const seen = new Set<string>();
    // One more than asked for: whether another page follows is known here, not by a page that
    // turns out empty.
    while (found.length <= limit && place >= 1) {
      const places = Array.from({ length: Math.min(LIST_BATCH, limit + 1 - found.length, place) }, (_, i) => place - i);
      const ids = await Promise.all(places.map((slot) => this.kv.get(`slot:${slot}`)));
      ids.forEach((id, i) => id !== undefined && !seen.has(id) && (seen.add(id), found.push({ id, place: places[i]! })));
      place -= places.length;
    }
    if (found.length <= limit) {
      const index = await legacyIndex();
      for (let i = index.length - 1 + place; i >= 0 && found.length <= limit; i--, place--) {
        if (!seen.has(index[i]!)) (seen.add(index[i]!), found.push({ id: index[i]!, place }));
      }
    }
    const page = found.slice(0, limit);
    return found.length > limit ? { ids: page.map((f) => f.id), next: String(page.at(-1)!.place) } : { ids: page.map((f) => f.id) };
  }

  /** The highest slot taken: the counter, or past it where another process counted ahead. */
  private async top(): Promise<number> {
    const last = await this.counters.get(SLOTS);
    let slot = last;
    while (slot < last + MAX_SLOT_STEPS && (await this.kv.get(`slot:${slot + 1}`)) !== undefined) slot++;
    return slot;
  }
}

/** A cursor as `page` made it, or undefined when it is not one. */
export function parseCursor(cursor: string): number | undefined {
  if (!/^-?\d{1,15}$/.test(cursor)) return undefined;
  const place = Number(cursor);
  return Number.isSafeInteger(place) ? place : undefined;
}
