/**
 * Gateway keys in the state store: created with a secret shown once, listed without it, revoked,
 * and verified per request. Verified keys are cached for `cacheTtlMs` so the hot path does not wait
 * on the store; a revocation is immediate on the replica that made it and reaches the others within
 * that time. Anyone can send a bearer token, so the cache is bounded: at most `KNOWN_KEYS_CAP` keys
 * (least recently used dropped), and secrets that match no key only `UNKNOWN_KEYS_CAP` of them, each
 * for at most `UNKNOWN_KEY_TTL_MS`.
 */
import { LRUCache } from 'lru-cache';
import { GatewayError } from 'llm-gateway/plugin';
import { drawFree, inBatches, withinMs, type Counters, type Store, type TypedKv } from 'llm-gateway/store';
import { KeyPlaces, LIST_BATCH, MAX_PAGE_SIZE, MAX_SLOT_STEPS, SLOTS, parseCursor } from './key-list.js';
import { hashSecret, newKeyId, newSecret } from './secrets.js';

/** How long a request waits on the store for a key before the cache or a 503 answers. */
const STORE_WAIT_MS = 500;

/** Verified keys kept in memory (a gateway with more active keys reads the rest from the store). */
export const KNOWN_KEYS_CAP = 10_000;
/** Secrets that match no key, remembered so a client retrying a wrong one does not hit the store each time. */
export const UNKNOWN_KEYS_CAP = 1_000;
export const UNKNOWN_KEY_TTL_MS = 1_000;

export interface KeyLimits {
  /** Requests per minute. */
  rpm?: number;
  /** Tokens per minute, prompt and completion (sliding window). */
  tpm?: number;
  /**
   * How `rpm` is held: `sliding-window` (default: at most rpm in any minute) or `token-bucket`
   * (bursts up to `burst` at once, refilled at rpm per minute).
   */
  algorithm?: 'sliding-window' | 'token-bucket';
  /** The token bucket's size. Default: rpm. */
  burst?: number;
}

export interface KeyBudget {
  dailyUsd?: number;
  monthlyUsd?: number;
}

export interface GatewayKey {
  id: string;
  name: string;
  /** The first characters of the secret, to recognise it in a list. */
  preview: string;
  hash: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
  team?: string;
  metadata?: Record<string, string>;
  /** Model names or globs (`groq/*`, `coding`) this key may use; all when absent. */
  models?: string[];
  limits?: KeyLimits;
  budget?: KeyBudget;
  /** When the secret was last replaced (`rotate`): the key keeps its id, settings, spend and usage. */
  rotatedAt?: string;
  /** The secret before the last rotation, still accepted until `until` (a grace period for clients to switch). */
  previous?: { hash: string; preview: string; until: string };
}

export type NewKey = Pick<GatewayKey, 'name'> & Partial<Pick<GatewayKey, 'expiresAt' | 'team' | 'metadata' | 'models' | 'limits' | 'budget'>>;

/** A change to a key: a field set to `null` is cleared (no limit, no budget, every model). */
export type KeyPatch = { [F in 'name' | 'expiresAt' | 'team' | 'metadata' | 'models' | 'limits' | 'budget']?: GatewayKey[F] | null };

/** A key as the admin API and the CLI show it: never a hash. */
export type KeyView = Omit<GatewayKey, 'hash' | 'previous'> & { status: 'active' | 'revoked' | 'expired'; previous?: { preview: string; until: string } };

/** A page of keys, newest first, and the cursor of the next page (absent on the last one). */
export interface KeyPage {
  keys: KeyView[];
  next?: string;
}

/** The longest grace period a rotated key's old secret may have: a week. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 86_400;

/** What the `keys` namespace holds: each key by id, each id by its secret's hash and by its slot in the list. */
export interface KeyRecords {
  /** The list of keys created before slots: one array written read-modify-write, so only read now. */
  index: string[];
  /** The slot of a key created lately, where a listing starts looking for the newest (plugins/auth/key-list.ts). */
  top: number;
  /** A key's place in the list, one record each: keys created at once never overwrite each other's. */
  [slot: `slot:${number}`]: string;
  [id: `id:${string}`]: GatewayKey;
  [hash: `hash:${string}`]: string;
  /** When a key was revoked, kept apart from its record, which an update on another replica may write back. */
  [revoked: `revoked:${string}`]: string;
}

/** Where keys live: their records, the counter their slots are drawn from, and one change at a time to a key. */
export type KeyState = { kv: TypedKv<KeyRecords> } & Pick<Store, 'counters' | 'exclusive'>;

/** The keys of a store, in the `keys` namespace. */
export function keyStateOf(store: Store): KeyState {
  return { kv: store.kv<KeyRecords>('keys'), counters: store.counters, exclusive: (name, work) => store.exclusive(name, work) };
}

export class KeyStore {
  private readonly known = new LRUCache<string, { key: GatewayKey; until: number }>({ max: KNOWN_KEYS_CAP });
  private readonly unknown = new LRUCache<string, { key: undefined; until: number }>({ max: UNKNOWN_KEYS_CAP });
  /** Lookups in flight, by the secret's hash: as many as requests in flight at most, each gone when it settles. */
  private readonly lookups = new Map<string, Promise<GatewayKey | undefined>>();
  /**
   * Bumped by every change this replica makes to a key: a lookup that began before it may have
   * read the key as it was, so what it found is answered but not cached (it would put back, for
   * the cache's time, a secret just rotated away or a key just revoked).
   */
  private changes = 0;
  private readonly kv: TypedKv<KeyRecords>;
  private readonly counters: Counters;
  private readonly exclusive: Store['exclusive'];
  private readonly places: KeyPlaces;

  constructor(
    state: KeyState,
    private readonly cacheTtlMs = 5000,
    private readonly now: () => number = Date.now,
  ) {
    ({ kv: this.kv, counters: this.counters, exclusive: this.exclusive } = state);
    this.places = new KeyPlaces(this.kv, this.counters);
  }

  /** A new key has an id of its own and takes a slot no other holds: nothing to exclude. */
  async create(spec: NewKey): Promise<{ key: KeyView; secret: string }> {
    const secret = newSecret();
    const key: GatewayKey = { ...spec, id: newKeyId(), preview: `${secret.slice(0, 7)}…`, hash: hashSecret(secret), createdAt: new Date(this.now()).toISOString() };
    await this.kv.set(`id:${key.id}`, key);
    await this.kv.set(`hash:${key.hash}`, key.id);
    const slot = await this.freeSlot();
    await this.kv.set(`slot:${slot}`, key.id);
    // Where a listing starts looking for the newest key. Creates at once may leave a lower slot
    // last: the listing reads on past the mark.
    await this.kv.set('top', slot);
    return { key: this.view(key), secret };
  }

  /**
   * A page of keys, newest first: up to `limit` (1 to MAX_PAGE_SIZE), below `cursor` (a page's
   * `next`), or from the newest. Another limit, or a cursor this store did not give out, is
   * refused (400): the admin API, the dashboard and other plugins (`keyAdmin.page`) all ask here.
   */
  async page(limit: number, cursor?: string): Promise<KeyPage> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new GatewayError('invalid_request', `limit must be an integer from 1 to ${MAX_PAGE_SIZE}.`, { param: 'limit' });
    }
    const place = cursor === undefined ? undefined : parseCursor(cursor);
    const found = cursor === undefined || place !== undefined ? await this.places.page(limit, place) : undefined;
    if (found === undefined) {
      throw new GatewayError('invalid_request', "The cursor is not one this API gave out (a page's next_cursor).", { param: 'cursor', code: 'invalid_cursor' });
    }
    const { ids, next } = found;
    const records = (await inBatches(ids, LIST_BATCH, (id) => this.kv.get(`id:${id}`))).filter((k): k is GatewayKey => k !== undefined);
    // The revocation marks of keys whose record does not say revoked (see withRevocation), a hundred at a time too.
    const marks = await inBatches(records, LIST_BATCH, async (key): Promise<string | undefined> => (key.revokedAt ? undefined : this.kv.get(`revoked:${key.id}`)));
    return { keys: records.map((key, i) => this.view(withRevocation(key, marks[i]))), ...(next === undefined ? {} : { next }) };
  }

  /** Every key, newest first, read a page at a time (the CLI's `keys list`). */
  async list(): Promise<KeyView[]> {
    const all: KeyView[] = [];
    let cursor: string | undefined;
    for (;;) {
      const { keys, next } = await this.page(MAX_PAGE_SIZE, cursor);
      all.push(...keys);
      if (next === undefined) return all;
      cursor = next;
    }
  }

  async get(id: string): Promise<KeyView | undefined> {
    const key = await this.withMark(id);
    return key && this.view(key);
  }

  /** The key's record, with its revocation mark (`withRevocation`). */
  private async withMark(id: string): Promise<GatewayKey | undefined> {
    const [key, revokedAt] = await Promise.all([this.kv.get(`id:${id}`), this.kv.get(`revoked:${id}`)]);
    return key && withRevocation(key, revokedAt);
  }

  /** Replaces what a key may do (models, limits, budget, team, name, expiry); `null` clears a field. */
  update(id: string, patch: KeyPatch): Promise<KeyView | undefined> {
    return this.changeOf(id, async () => {
      const key = await this.kv.get(`id:${id}`);
      if (!key) return undefined;
      const next: GatewayKey = { ...key };
      for (const [field, value] of Object.entries(patch) as Array<[keyof KeyPatch, unknown]>) {
        if (value === null) delete next[field];
        else if (value !== undefined) (next as unknown as Record<string, unknown>)[field] = value;
      }
      await this.kv.set(`id:${id}`, next);
      // A revocation on another replica may have come between the read and the write: put it back.
      const revokedAt = next.revokedAt ? undefined : await this.kv.get(`revoked:${id}`);
      if (revokedAt) {
        next.revokedAt = revokedAt;
        await this.kv.set(`id:${id}`, next);
      }
      this.forget(key);
      return this.view(next);
    });
  }

  /**
   * The mark goes first, apart from the record: should an update write the record back unrevoked
   * (one by a replica that takes no lease: an earlier version, during a rolling upgrade), it finds
   * the mark after its write and revokes the key again.
   */
  revoke(id: string): Promise<KeyView | undefined> {
    return this.changeOf(id, async () => {
      const found = await this.kv.get(`id:${id}`);
      if (!found) return undefined;
      const revokedAt = found.revokedAt ?? (await this.kv.get(`revoked:${id}`)) ?? new Date(this.now()).toISOString();
      await this.kv.set(`revoked:${id}`, revokedAt);
      const key = (await this.kv.get(`id:${id}`)) ?? found;
      const revoked = { ...key, revokedAt };
      await this.kv.set(`id:${id}`, revoked);
      this.forget(key);
      return this.view(revoked);
    });
  }

  /**
   * A new secret for a key, which keeps its id, settings, spend and usage (a leaked secret is
   * replaced without handing its holder a fresh budget, as a new key would). The old secret is
   * refused at once, or after `graceSeconds` so that clients can switch; a rotation during another's
   * grace ends that one, since one old secret at a time is accepted. Replicas that verified the old
   * secret lately go on accepting it for their key cache time, as with a revocation.
   */
  rotate(id: string, graceSeconds = 0): Promise<{ key: KeyView; secret: string } | undefined> {
    return this.changeOf(id, async () => {
      const key = await this.kv.get(`id:${id}`);
      if (!key) return undefined;
      if (key.revokedAt || (await this.kv.get(`revoked:${id}`))) {
        throw new GatewayError('invalid_request', `The key '${id}' is revoked: a revoked key cannot be rotated (create a new one).`, { code: 'key_revoked', status: 409 });
      }
      const secret = newSecret();
      const now = this.now();
      const rotated: GatewayKey = { ...key, hash: hashSecret(secret), preview: `${secret.slice(0, 7)}…`, rotatedAt: new Date(now).toISOString() };
      delete rotated.previous;
      if (graceSeconds > 0) rotated.previous = { hash: key.hash, preview: key.preview, until: new Date(now + graceSeconds * 1000).toISOString() };
      // The new secret finds the key before the key names it, so it works the moment it is shown;
      // and until the key names it, the old secret goes on working, so a write that fails between
      // the two leaves the key as it was, not without a secret.
      await this.kv.set(`hash:${rotated.hash}`, id);
      await this.kv.set(`id:${id}`, rotated);
      if (key.previous) await this.kv.delete(`hash:${key.previous.hash}`);
      // The old secret's entry goes when its grace does: this version checks the key's own hashes
      // anyway, but a replica of an earlier version, during a rolling upgrade, trusts the entry.
      if (rotated.previous) await this.kv.set(`hash:${key.hash}`, id, graceSeconds * 1000);
      else await this.kv.delete(`hash:${key.hash}`);
      this.forget(key);
      return { key: this.view(rotated), secret };
    });
  }

  /**
   * Changes to one key take turns on every replica, each reading what the one before it wrote:
   * two updates at once would end as the later write, and an update that read a key before a
   * revocation wrote it would put it back unrevoked. Admin operations only, each store call
   * bounded, so the turns are short.
   */
  private changeOf<T>(id: string, change: () => Promise<T>): Promise<T> {
    return this.exclusive(`keys:${id}`, change);
  }

  /** A slot no key holds (drawn again where the counter lags behind the slots, see drawFree). */
  private freeSlot(): Promise<number> {
    return drawFree(this.counters, SLOTS, async (slot) => (await this.kv.get(`slot:${slot}`)) !== undefined, MAX_SLOT_STEPS);
  }

  /**
   * The key a secret belongs to, revoked and expired ones included (the caller says why it
   * refuses), and only under its current secret, or the one before it during its grace. When the store cannot answer within a bounded wait, a key verified before is still
   * honoured from the cache; an unknown one gets a 503, never a guess. A cached answer comes at
   * once, not as a promise: every request asks.
   */
  find(secret: string): GatewayKey | undefined | Promise<GatewayKey | undefined> {
    const hash = hashSecret(secret);
    const cached = this.known.get(hash) ?? this.unknown.get(hash);
    if (cached && cached.until > this.now()) return cached.key;
    // Requests with the same secret arriving together share one lookup: a burst on a key not
    // cached yet (a gateway just started, 5,000 streams opened at once) is two store reads, not
    // ten thousand, which under load pushed the last of them past their bound (a 503 each).
    let lookup = this.lookups.get(hash);
    if (!lookup) {
      const started: Promise<GatewayKey | undefined> = this.lookUp(hash, cached).finally(() => {
        // A change may have dropped this lookup and another begun since: that one stays.
        if (this.lookups.get(hash) === started) this.lookups.delete(hash);
      });
      this.lookups.set(hash, (lookup = started));
    }
    return lookup;
  }

  /** `stale`: what the cache knew before it expired, the answer when the store cannot give one. */
  private async lookUp(hash: string, stale: { key: GatewayKey | undefined } | undefined): Promise<GatewayKey | undefined> {
    const changesBefore = this.changes;
    let key: GatewayKey | undefined;
    try {
      const id = await withinMs(STORE_WAIT_MS, this.kv.get(`hash:${hash}`));
      key = id ? await withinMs(STORE_WAIT_MS, this.withMark(id)) : undefined;
      if (key && !this.answersTo(key, hash)) key = undefined;
    } catch (error) {
      // What the cache knew, as long as it still holds: not an old secret whose grace has ended since.
      if (stale) return stale.key && this.answersTo(stale.key, hash) ? stale.key : undefined;
      throw new GatewayError('unavailable', 'The gateway cannot verify keys right now (its store is not answering); try again shortly.', { code: 'key_store_unavailable', retryable: true, retryAfterSeconds: 1, cause: error });
    }
    if (this.changes !== changesBefore) return key;
    if (key) {
      // An old secret in its grace is cached no longer than its grace lasts.
      const graceEnds = key.hash === hash ? Infinity : Date.parse(key.previous!.until);
      this.known.set(hash, { key, until: Math.min(this.now() + this.cacheTtlMs, graceEnds) });
    } else {
      this.known.delete(hash);
      this.unknown.set(hash, { key, until: this.now() + Math.min(this.cacheTtlMs, UNKNOWN_KEY_TTL_MS) });
    }
    return key;
  }

  /**
   * Drops what this replica cached of a key that changed, under its secret and under the one in
   * its grace, and keeps lookups already under way from caching what they read before the change.
   */
  private forget(key: GatewayKey): void {
    this.changes++;
    for (const hash of key.previous ? [key.hash, key.previous.hash] : [key.hash]) {
      this.known.delete(hash);
      // A request after the change reads the key anew rather than join a read begun before it.
      this.lookups.delete(hash);
    }
  }

  /** Whether `hash` is the key's secret, or the one before its last rotation while that is still accepted. */
  private answersTo(key: GatewayKey, hash: string): boolean {
    return key.hash === hash || (key.previous?.hash === hash && this.inGrace(key.previous));
  }

  /** Whether a rotated key's old secret is still accepted. */
  private inGrace(previous: GatewayKey['previous']): previous is NonNullable<GatewayKey['previous']> {
    return previous !== undefined && Date.parse(previous.until) > this.now();
  }

  /** How many secrets the cache holds: known keys and unknown secrets (for tests and the dashboard). */
  get cached(): { known: number; unknown: number } {
    return { known: this.known.size, unknown: this.unknown.size };
  }

  status(key: GatewayKey): KeyView['status'] {
    if (key.revokedAt) return 'revoked';
    if (key.expiresAt && Date.parse(key.expiresAt) <= this.now()) return 'expired';
    return 'active';
  }

  /** `previous` only while the old secret is accepted. */
  private view(key: GatewayKey): KeyView {
    const { hash: _hash, previous, ...rest } = key;
    return { ...rest, ...(this.inGrace(previous) ? { previous: { preview: previous.preview, until: previous.until } } : {}), status: this.status(key) };
  }
}

/**
 * A key's record, revoked if its revocation mark says so though the record does not: a replica of
 * a build before the marks (2026-12-05), during a rolling upgrade, writes back an update it read
 * before a revocation, and the leaked key worked again on every replica.
 */
function withRevocation(key: GatewayKey, mark: string | undefined): GatewayKey {
  return !key.revokedAt && mark ? { ...key, revokedAt: mark } : key;
}


