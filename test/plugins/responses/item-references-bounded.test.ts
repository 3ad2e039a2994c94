/**
 * `item_reference`s (up to 1,000 a request) are resolved each item once and each stored record
 * holding one once; and the items found may weigh at most `maxStoredBytes` together, else the
 * request is refused (413). Before its fix, each reference read and parsed the whole record
 * holding its item: a request of 40 KB naming one item of a 1 MB response 1,000 times parsed 1 GB
 * and expanded into 1,000 copies of the item (8 GiB at the default bound). An item named twice is
 * now refused outright, as OpenAI refuses it (a 400 `Duplicate item found with id …`: a stored
 * conversation's item list paged for ever on such a copy), so the bounds are shown with many
 * items of one record, and with large items of several.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore } from '../../../core/store/store.js';
import { loadConversation } from '../../../plugins/responses/api/conversation.js';
import type { ResponseInputItem, ResponseObject, ResponsesRequest } from '../../../plugins/responses/protocol/types.js';
import { ResponseStore, type ResponseRecords } from '../../../plugins/responses/store/response-store.js';
import type { TypedKv } from '../../../core/store/store.js';

describe('item references and the stored records they read', () => {
  it('reads a stored response a bounded number of times however often a request names its items', async () => {
    const store = await openStore('memory', silentLogger);
    const inner = store.kv<ResponseRecords>('responses');
    let bytesRead = 0;
    const kv: TypedKv<ResponseRecords> = {
      get: async (key) => {
        const value = await inner.get(key);
        if (key.startsWith('response:')) bytesRead += JSON.stringify(value ?? null).length;
        return value;
      },
      set: (key, value, ttl) => inner.set(key, value, ttl),
      delete: (key) => inner.delete(key),
      deleteMany: (keys) => inner.deleteMany(keys),
    };
    const responses = new ResponseStore(kv, { ttlMs: 3_600_000, maxBytes: 8 * 1024 * 1024, logger: silentLogger });
    // A record of about 1 MB, holding a thousand small items beside a large one.
    const big: ResponseInputItem = { type: 'message', role: 'user', id: 'msg_big', content: [{ type: 'input_text', text: 'x'.repeat(1_000_000) }] } as ResponseInputItem;
    const small = (i: number) => ({ type: 'message', role: 'user', id: `msg_small_${i}`, content: [{ type: 'input_text', text: 'a short question' }] }) as ResponseInputItem;
    const response = { id: 'resp_big', object: 'response', status: 'completed', output: [], model: 'm' } as unknown as ResponseObject;
    await responses.save({ owner: null, response, input: [big, ...Array.from({ length: 1000 }, (_, i) => small(i))], turnStart: 0 });

    const input = Array.from({ length: 1000 }, (_, i) => ({ type: 'item_reference', id: `msg_small_${i}` })) as unknown as ResponseInputItem[];
    const conversation = await loadConversation({ model: 'm', input } as unknown as ResponsesRequest, responses, null);
    expect(conversation.items).toHaveLength(1000);
    // One request of ~40 KB; the record is ~1 MB. Reading it once is fine; a thousand times is 1 GB.
    expect(bytesRead).toBeLessThan(10 * 1_000_000);
    // One item named twice: refused, as OpenAI refuses it.
    const twice = [{ type: 'item_reference', id: 'msg_small_1' }, { type: 'item_reference', id: 'msg_small_1' }] as unknown as ResponseInputItem[];
    await expect(loadConversation({ model: 'm', input: twice } as unknown as ResponsesRequest, responses, null)).rejects.toMatchObject({ status: 400, param: 'input', message: expect.stringContaining('Duplicate item found with id msg_small_1.') });
    await store.close();
  });

  it('refuses a small request that would expand into a conversation far larger than any stored one', async () => {
    const store = await openStore('memory', silentLogger);
    const responses = new ResponseStore(store.kv<ResponseRecords>('responses'), { ttlMs: 3_600_000, maxBytes: 8 * 1024 * 1024, logger: silentLogger });
    // Twelve responses of 1 MB each, every one well within what a stored conversation may weigh.
    for (let i = 0; i < 12; i++) {
      const big = { type: 'message', role: 'user', id: `msg_big_${i}`, content: [{ type: 'input_text', text: 'x'.repeat(1_000_000) }] } as unknown as ResponseInputItem;
      const response = { id: `resp_big_${i}`, object: 'response', status: 'completed', output: [], model: 'm' } as unknown as ResponseObject;
      await responses.save({ owner: null, response, input: [big], turnStart: 0 });
    }
    const input = Array.from({ length: 12 }, (_, i) => ({ type: 'item_reference', id: `msg_big_${i}` })) as unknown as ResponseInputItem[];
    const refused = await loadConversation({ model: 'm', input } as unknown as ResponsesRequest, responses, null).catch((error: unknown) => error);
    // What would have gone upstream (and been stored again): 12 MB, past the 8 MiB bound.
    expect(refused).toMatchObject({ status: 413, code: 'conversation_too_large', param: 'input' });
    // A few of them are still resolved.
    const few = Array.from({ length: 3 }, (_, i) => ({ type: 'item_reference', id: `msg_big_${i}` })) as unknown as ResponseInputItem[];
    expect((await loadConversation({ model: 'm', input: few } as unknown as ResponsesRequest, responses, null)).items).toHaveLength(3);
    await store.close();
  });
});
