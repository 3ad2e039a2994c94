/**
 * The responses the gateway answered, kept so that a follow-up naming `previous_response_id` can be
 * expanded into the turns before it (for any provider: the id is the gateway's), and so that
 * `GET`/`DELETE /v1/responses/{id}` and item references work. Each record holds the response
 * (reasoning's `encrypted_content` included) and every input item that led to it: earlier turns'
 * input and output, then the request's own input. A follow-up's context is the record's input,
 * then its output, then the new input: one read, however long the conversation.
 *
 * Records are private to the gateway key that created them (`owner`; null without `gateway:auth`):
 * any other caller is told the id does not exist. They expire after the retention; a record heavier
 * than `maxBytes` is not kept (and that is logged). A store that does not answer within a bounded
 * wait fails a lookup with a 503, and a write is given up with a warning: the client still gets
 * its answer.
 */
import { GatewayError, type Logger } from 'llm-gateway/plugin';
import { withinMs, type TypedKv } from 'llm-gateway/store';
import type { ResponseInputItem, ResponseObject } from '../protocol/types.js';

export interface StoredResponse {
  /** The gateway key id that created it; null when the gateway has no keys. */
  readonly owner: string | null;
  readonly response: ResponseObject;
  /** Every item that led to the response, ids assigned. */
  readonly input: readonly ResponseInputItem[];
  /** Where the request's own input starts in `input` (what came before is earlier turns). */
  readonly turnStart: number;
}

export type ResponseRecords = {
  [key: `response:${string}`]: StoredResponse;
  /** Owner and item id → the response that holds it, for `item_reference`. */
  [key: `item:${string}`]: string;
};

export interface ResponseStoreOptions {
  ttlMs: number;
  maxBytes: number;
  logger: Logger;
  /** How long one store call may take. Default 2000 ms. */
  waitMs?: number;
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
  async save(record: StoredResponse): Promise<void> {
    const bytes = Buffer.byteLength(JSON.stringify(record));
    if (bytes > this.options.maxBytes) {
      this.options.logger.warn('a response is too large to keep: follow-ups naming it will not find it', { responseId: record.response.id, bytes, maxStoredBytes: this.options.maxBytes });
      return;
    }
    const { ttlMs } = this.options;
    const id = record.response.id;
    const newItems = [...record.input.slice(record.turnStart), ...record.response.output];
    try {
      await withinMs(this.waitMs, this.kv.set(`response:${id}`, record, ttlMs));
      await withinMs(this.waitMs, Promise.all(newItems.map((item) => (item.id ? this.kv.set(itemKey(record.owner, item.id), id, ttlMs) : true))));
    } catch (error) {
      this.options.logger.warn('could not keep a response in the store', { responseId: id, error: (error as Error).message });
    }
  }

  /** The record, if it exists and belongs to `owner`. */
  async load(id: string, owner: string | null): Promise<StoredResponse | undefined> {
    const record = await this.read(() => this.kv.get(`response:${id}`));
    return record && record.owner === owner ? record : undefined;
  }

  /** An item of one of `owner`'s stored responses, by its id. */
  async findItem(itemId: string, owner: string | null): Promise<ResponseInputItem | undefined> {
    const responseId = await this.read(() => this.kv.get(itemKey(owner, itemId)));
    const record = responseId ? await this.load(responseId, owner) : undefined;
    if (!record) return undefined;
    return record.response.output.find((item) => item.id === itemId) ?? record.input.find((item) => item.id === itemId);
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

/** Item ids are the client's to choose: each owner has its own. */
function itemKey(owner: string | null, itemId: string): `item:${string}` {
  return `item:${owner ?? ''}:${itemId}`;
}
