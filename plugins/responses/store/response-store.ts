/**
 * The responses the gateway answered, kept so that a follow-up naming `previous_response_id` can be
 * expanded into the turns before it (for any provider: the id is the gateway's), and so that
 * `GET`/`DELETE /v1/responses/{id}` and item references work.
 *
 * A record holds its response (reasoning's `encrypted_content` included) and either every input
 * item that led to it (a whole record) or only its own turn's input and the ids of the responses
 * before it (a linked record: the first of them whole, the rest linked). Keeping every turn whole
 * made a conversation of n turns cost storage that grows with n²; linking keeps each turn once, and
 * a whole record every LONGEST_CHAIN turns bounds what a follow-up reads (one parallel read of at
 * most that many records). A linked record expires with the oldest record it needs, so it is only
 * made while that one has most of the retention left (KEPT_SHARE); otherwise the turn is kept whole.
 * Deleting a response takes its turn out of every conversation that runs through it: a follow-up
 * of a later linked response is then a 404, as for an expired one.
 *
 * Records are private to the gateway key that created them (`owner`; null without `gateway:auth`):
 * any other caller is told the id does not exist. A response whose conversation weighs more than
 * `maxBytes` is not kept (and that is logged). A store that does not answer within a bounded wait
 * fails a lookup with a 503, and a write is given up with a warning: the client still gets its
 * answer.
 */
import { GatewayError, appendAll, type Logger } from 'llm-gateway/plugin';
import { withinMs, type TypedKv } from 'llm-gateway/store';
import type { ResponseInputItem, ResponseObject } from '../protocol/types.js';

/** The most records a conversation is read from: a whole one and the linked ones after it. */
export const LONGEST_CHAIN = 32;
/** A turn is linked only while the records it needs have this share of the retention left. */
const KEPT_SHARE = 0.9;

interface RecordOf<Kind> {
  readonly kind: Kind;
  /** The gateway key id that created it; null when the gateway has no keys. */
  readonly owner: string | null;
  readonly response: ResponseObject;
  /** When it expires, in ms since the epoch. */
  readonly expiresAt: number;
  /** The JSON bytes of every item that led to the response, its own input and the earlier turns'. */
  readonly itemBytes: number;
}

/** Every item that led to the response, ids assigned. */
export interface WholeRecord extends RecordOf<'whole'> {
  readonly input: readonly ResponseInputItem[];
  /** Where the request's own input starts in `input` (what came before is earlier turns). */
  readonly turnStart: number;
}

/**
 * Only the request's own input; the earlier turns are the records `earlier` names. Not `input`: a
 * replica of a version before links, sharing the store during an upgrade, fails on such a record
 * rather than taking its one turn for the whole conversation.
 */
export interface LinkedRecord extends RecordOf<'linked'> {
  readonly ownInput: readonly ResponseInputItem[];
  /** The responses before it, oldest first: a whole record, then linked ones. */
  readonly earlier: readonly string[];
}

/**
 * A record as the store may hold it: a whole or linked one, or one kept before records were
 * linked (whole, without `kind`, `expiresAt` and `itemBytes`; never linked to, so at most one turn is
 * kept whole again for a conversation that began before).
 */
export type StoredResponse = WholeRecord | LinkedRecord | Omit<WholeRecord, 'kind' | 'expiresAt' | 'itemBytes'>;

/** A response to keep, with every item that led to it. */
export interface NewResponse {
  readonly owner: string | null;
  readonly response: ResponseObject;
  readonly input: readonly ResponseInputItem[];
  readonly turnStart: number;
  /** The stored response it follows, when `input` begins with that one's whole conversation and output, as they were. */
  readonly follows?: StoredResponse;
}

/** A response answered but not kept, its conversation past `maxBytes`: what a follow-up naming it is told. */
export interface NotKept {
  readonly owner: string | null;
  readonly bytes: number;
}

export type ResponseRecords = {
  [key: `response:${string}`]: StoredResponse;
  [key: `not-kept:${string}`]: NotKept;
  /** Owner and item id → the response that holds it, for `item_reference`. */
  [key: `item:${string}`]: string;
};

export interface ResponseStoreOptions {
  ttlMs: number;
  maxBytes: number;
  logger: Logger;
  /** How long one store call may take. Default 2000 ms. */
  waitMs?: number;
  /** False: every turn is kept whole, as replicas of a build before links read it. Default true. */
  linkTurns?: boolean;
}

export class ResponseStore {
  private readonly waitMs: number;

  constructor(
    private readonly kv: TypedKv<ResponseRecords>,
    private readonly options: ResponseStoreOptions,
  ) {
    this.waitMs = options.waitMs ?? 2000;
  }

  /** Keeps a response; never throws (a response that cannot be kept is still answered). */
  async save(turn: NewResponse): Promise<void> {
    const record = this.recordOf(turn, Date.now());
    const id = record.response.id;
    // What the conversation would weigh kept whole: every item that led to it, and its response.
    const bytes = record.itemBytes + jsonBytes(record.response);
    const ttlMs = Math.max(1, record.expiresAt - Date.now());
    if (bytes > this.options.maxBytes) {
      this.options.logger.warn('a response is too large to keep: follow-ups naming it are told so', { responseId: id, bytes, maxStoredBytes: this.options.maxBytes });
      // A few bytes in its place, so that a follow-up learns why it cannot go on (not a bare 404
      // for an id the gateway handed out a moment before).
      await withinMs(this.waitMs, this.kv.set(`not-kept:${id}`, { owner: record.owner, bytes }, ttlMs)).catch(() => undefined);
      return;
    }
    const ownItems = record.kind === 'linked' ? record.ownInput : record.input.slice(record.turnStart);
    try {
      await withinMs(this.waitMs, this.kv.set(`response:${id}`, record, ttlMs));
      await withinMs(this.waitMs, Promise.all([...ownItems, ...record.response.output].map((item) => (item.id ? this.kv.set(itemKey(record.owner, item.id), id, ttlMs) : true))));
    } catch (error) {
      this.options.logger.warn('could not keep a response in the store', { responseId: id, error: (error as Error).message });
    }
  }

  /**
   * Every item that led to `record`'s response, its earlier turns read from the store (one parallel
   * read); undefined when one of them is gone (deleted, or another owner's).
   */
  async itemsBefore(record: StoredResponse, owner: string | null): Promise<readonly ResponseInputItem[] | undefined> {
    if (!isLinked(record)) return record.input;
    const earlier = await this.read(() => Promise.all(record.earlier.map((id) => this.kv.get(`response:${id}`))));
    const items: ResponseInputItem[] = [];
    for (const [index, turn] of earlier.entries()) {
      // The first is whole and holds the turns before it; each later one holds its own turn only.
      if (!turn || turn.owner !== owner || isLinked(turn) !== index > 0) return undefined;
      appendAll(items, isLinked(turn) ? turn.ownInput : turn.input);
      appendAll(items, turn.response.output);
    }
    appendAll(items, record.ownInput);
    return items;
  }

  /** A turn linked to the one it follows where it can be, else whole. */
  private recordOf(turn: NewResponse, now: number): WholeRecord | LinkedRecord {
    const { owner, response } = turn;
    const link = this.options.linkTurns === false ? undefined : this.linkAfter(turn.follows, now);
    if (link) {
      const ownInput = turn.input.slice(turn.turnStart);
      return { kind: 'linked', owner, response, ownInput, earlier: link.earlier, expiresAt: link.expiresAt, itemBytes: link.itemBytesBefore + jsonBytes(ownInput) };
    }
    return { kind: 'whole', owner, response, input: turn.input, turnStart: turn.turnStart, expiresAt: now + this.options.ttlMs, itemBytes: jsonBytes(turn.input) };
  }

  /** What a turn after `previous` links to, unless the chain is long or its oldest record expires soon. */
  private linkAfter(previous: StoredResponse | undefined, now: number): { earlier: string[]; expiresAt: number; itemBytesBefore: number } | undefined {
    // A record kept before records were linked says neither when it expires nor what it weighs.
    if (!previous || !('kind' in previous)) return undefined;
    const earlier = previous.kind === 'linked' ? [...previous.earlier, previous.response.id] : [previous.response.id];
    const { ttlMs } = this.options;
    const expiresAt = Math.min(now + ttlMs, previous.expiresAt);
    if (earlier.length > LONGEST_CHAIN || expiresAt - now < ttlMs * KEPT_SHARE) return undefined;
    // The items before the new turn's own: the previous one's, then its output.
    return { earlier, expiresAt, itemBytesBefore: previous.itemBytes + jsonBytes(previous.response.output) };
  }

  /** Why `id` was not kept, if it was answered to `owner` and was too large to keep. */
  async notKept(id: string, owner: string | null): Promise<NotKept | undefined> {
    const record = await this.read(() => this.kv.get(`not-kept:${id}`));
    return record && record.owner === owner ? record : undefined;
  }

  /** The record, if it exists and belongs to `owner`. */
  async load(id: string, owner: string | null): Promise<StoredResponse | undefined> {
    const record = await this.read(() => this.kv.get(`response:${id}`));
    return record && record.owner === owner ? record : undefined;
  }

  /** An item of one of `owner`'s stored responses, by its id. */
  async findItem(itemId: string, owner: string | null): Promise<ResponseInputItem | undefined> {
    return (await this.findItems([itemId], owner)).get(itemId);
  }

  /**
   * Items of `owner`'s stored responses, by id: each id looked up once and each record holding one
   * read once, however often a request names them, a few records at a time. The items found may
   * weigh at most the store's bound (`maxBytes`) together, each counted as often as `itemIds` names
   * it: a request naming one item of a large response a thousand times is refused (413), rather
   * than expanded into a thousand copies. Ids not found are left out.
   */
  async findItems(itemIds: readonly string[], owner: string | null): Promise<Map<string, ResponseInputItem>> {
    const ids = [...new Set(itemIds)];
    const holders = await this.read(() => Promise.all(ids.map((id) => this.kv.get(itemKey(owner, id)))));
    const wanted = new Map<string, string[]>();
    for (const [index, holder] of holders.entries()) {
      if (holder === undefined) continue;
      const items = wanted.get(holder) ?? [];
      items.push(ids[index]!);
      wanted.set(holder, items);
    }
    const named = new Map<string, number>();
    for (const id of itemIds) named.set(id, (named.get(id) ?? 0) + 1);
    const found = new Map<string, ResponseInputItem>();
    let bytes = 0;
    const holderIds = [...wanted.keys()];
    for (let start = 0; start < holderIds.length; start += RECORDS_AT_ONCE) {
      const batch = holderIds.slice(start, start + RECORDS_AT_ONCE);
      const records = await Promise.all(batch.map((holder) => this.load(holder, owner)));
      for (const [index, record] of records.entries()) {
        if (!record) continue;
        for (const id of wanted.get(batch[index]!)!) {
          const item = itemIn(record, id);
          if (!item) continue;
          bytes += jsonBytes(item) * named.get(id)!;
          if (bytes > this.options.maxBytes) throw tooLarge(this.options.maxBytes);
          found.set(id, item);
        }
      }
    }
    return found;
  }

  async delete(id: string, owner: string | null): Promise<boolean> {
    const record = await this.load(id, owner);
    if (!record) return false;
    await this.read(() => this.kv.delete(`response:${id}`));
    return true;
  }

  private async read<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await withinMs(this.waitMs, call());
    } catch (error) {
      throw new GatewayError('unavailable', 'Stored responses cannot be read right now (the store is not answering); try again shortly.', {
        code: 'response_store_unavailable',
        retryable: true,
        retryAfterSeconds: 1,
        cause: error,
      });
    }
  }
}

/** Records read together when resolving item references. */
const RECORDS_AT_ONCE = 8;

function itemIn(record: StoredResponse, itemId: string): ResponseInputItem | undefined {
  return record.response.output.find((item) => item.id === itemId) ?? (isLinked(record) ? record.ownInput : record.input).find((item) => item.id === itemId);
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('payload_too_large', `The items this request refers to (item_reference) weigh more than ${maxBytes} bytes together, the most a stored conversation may (responses.maxStoredBytes): send fewer references, or the items themselves.`, {
    code: 'conversation_too_large',
    param: 'input',
  });
}

function isLinked(record: StoredResponse): record is LinkedRecord {
  return 'kind' in record && record.kind === 'linked';
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** Item ids are the client's to choose: each owner has its own. */
function itemKey(owner: string | null, itemId: string): `item:${string}` {
  return `item:${owner ?? ''}:${itemId}`;
}
