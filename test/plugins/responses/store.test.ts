/**
 * What the gateway keeps of its responses: records private to their owner, expiring after the
 * retention, never heavier than the bound (and saying so), item references, a store that does not
 * answer; and how stored items are normalized and replayed to an OpenAI upstream.
 */
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createGateway } from '../../../index.js';
import { silentLogger, type Logger } from '../../../core/logger.js';
import { openStore, type Store } from '../../../core/store/store.js';
import { forNativeHistory, inputItems, isItemReference, storedItem } from '../../../plugins/responses/protocol/items.js';
import { encodeReasoning } from '../../../plugins/responses/protocol/reasoning.js';
import type { ResponseInputItem, ResponseObject } from '../../../plugins/responses/protocol/types.js';
import { ResponseStore, type NewResponse, type ResponseRecords } from '../../../plugins/responses/store/response-store.js';

let store: Store;
let warnings: Array<[string, Record<string, unknown> | undefined]>;
const logger: Logger = { ...silentLogger, warn: (message, fields) => void warnings.push([message, fields]), child: () => logger };

beforeEach(async () => {
  store = await openStore('memory', silentLogger);
  warnings = [];
});
afterEach(() => store.close());

const response = (id: string, text = 'hi'): ResponseObject => ({
  id,
  object: 'response',
  created_at: 1,
  status: 'completed',
  error: null,
  incomplete_details: null,
  model: 'm',
  output: [{ id: `msg_${id}`, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] }],
});
const record = (id: string, owner: string | null, input: ResponseInputItem[] = [{ id: `in_${id}`, type: 'message', role: 'user', content: 'q' }]): NewResponse => ({ owner, response: response(id), input, turnStart: 0 });
const open = (options: Partial<ConstructorParameters<typeof ResponseStore>[1]> = {}) => new ResponseStore(store.kv<ResponseRecords>('responses'), { ttlMs: 60_000, maxBytes: 1_000_000, logger, ...options });

describe('ResponseStore', () => {
  it('gives a record back to its owner only', async () => {
    const responses = open();
    await responses.save(record('r1', 'key-a'));
    await responses.save(record('r2', null));
    expect((await responses.load('r1', 'key-a'))?.response.id).toBe('r1');
    expect(await responses.load('r1', 'key-b')).toBeUndefined();
    expect(await responses.load('r1', null)).toBeUndefined();
    expect((await responses.load('r2', null))?.response.id).toBe('r2');
    expect(await responses.load('r2', 'key-a')).toBeUndefined();
  });

  it('finds items of the request and of the answer, per owner', async () => {
    const responses = open();
    await responses.save(record('r1', 'key-a'));
    expect(await responses.findItem('msg_r1', 'key-a')).toMatchObject({ type: 'message', role: 'assistant' });
    expect(await responses.findItem('in_r1', 'key-a')).toMatchObject({ role: 'user' });
    expect(await responses.findItem('msg_r1', 'key-b')).toBeUndefined();
    expect(await responses.findItem('nope', 'key-a')).toBeUndefined();
  });

  it('forgets a record after the retention', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => void vi.useRealTimers());
    const responses = open({ ttlMs: 50 });
    await responses.save(record('r1', null));
    vi.setSystemTime(Date.now() + 49);
    expect(await responses.load('r1', null)).toBeDefined();
    vi.setSystemTime(Date.now() + 31);
    expect(await responses.load('r1', null)).toBeUndefined();
    expect(await responses.findItem('msg_r1', null)).toBeUndefined();
  });

  it('does not keep a record heavier than the bound, and says so', async () => {
    const responses = open({ maxBytes: 500 });
    await responses.save(record('big', null, [{ id: 'in_big', type: 'message', role: 'user', content: 'x'.repeat(600) }]));
    expect(await responses.load('big', null)).toBeUndefined();
    expect(warnings).toEqual([[expect.stringMatching(/too large to keep/), expect.objectContaining({ responseId: 'big', maxStoredBytes: 500 })]]);
  });

  it('deletes only its owner\'s records', async () => {
    const responses = open();
    await responses.save(record('r1', 'key-a'));
    expect(await responses.delete('r1', 'key-b')).toBe(false);
    expect(await responses.delete('r1', 'key-a')).toBe(true);
    expect(await responses.load('r1', 'key-a')).toBeUndefined();
  });

  it('answers 503 when the store does not answer in time, and gives a write up with a warning', async () => {
    const hanging = { get: () => new Promise(() => undefined), set: () => new Promise(() => undefined), delete: () => new Promise(() => undefined) } as never;
    const responses = new ResponseStore(hanging, { ttlMs: 1000, maxBytes: 1_000_000, logger, waitMs: 30 });
    await expect(responses.load('r1', null)).rejects.toMatchObject({ kind: 'unavailable', status: 503, code: 'response_store_unavailable' });
    await responses.save(record('r1', null));
    expect(warnings).toEqual([[expect.stringMatching(/could not keep/), expect.objectContaining({ responseId: 'r1' })]]);
  });
});

describe('stored items', () => {
  it.each<[string, ResponseInputItem, Record<string, unknown>]>([
    ['a user string', { role: 'user', content: 'hi' }, { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
    ['an assistant string', { role: 'assistant', content: 'ok' }, { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok', annotations: [] }] }],
    ['a call without an id', { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' }, { type: 'function_call', call_id: 'c' }],
    ['a call output without an id', { type: 'function_call_output', call_id: 'c', output: 'x' }, { type: 'function_call_output', call_id: 'c' }],
  ])('%s gets an id and a list of parts', (_name, item, expected) => {
    const stored = storedItem(item);
    expect(stored).toMatchObject(expected);
    expect(stored.id).toMatch(/^(msg|fc|item)_[0-9a-f]{48}$/);
  });

  it('keeps an id the client gave', () => {
    expect(storedItem({ id: 'msg_client', role: 'user', content: [{ type: 'input_text', text: 'x' }] }).id).toBe('msg_client');
  });

  it.each<[ResponseInputItem, boolean]>([
    [{ type: 'item_reference', id: 'msg_1' }, true],
    [{ id: 'msg_1' } as ResponseInputItem, true],
    [{ type: null, id: 'msg_1' } as unknown as ResponseInputItem, true],
    [{ id: 'msg_1', role: 'user', content: 'x' }, false],
    [{ type: 'message', id: 'msg_1', role: 'user', content: 'x' }, false],
  ])('item reference? %j → %s', (item, expected) => {
    expect(isItemReference(item)).toBe(expected);
  });

  it('reads a string input as one user message', () => {
    expect(inputItems('hi')).toEqual([{ type: 'message', role: 'user', content: 'hi' }]);
    expect(inputItems(undefined)).toEqual([]);
  });

  it('replays history to OpenAI without ids, and with only its own reasoning', () => {
    const history: ResponseInputItem[] = [
      { id: 'msg_1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'q' }] },
      { id: 'rs_openai', type: 'reasoning', summary: [], encrypted_content: 'gAAAAB-opaque' },
      { id: 'rs_gateway', type: 'reasoning', summary: [{ type: 'summary_text', text: 't' }], encrypted_content: encodeReasoning({ thinking: [{ type: 'thinking', thinking: 't', signature: 's' }] }) },
      { id: 'rs_bare', type: 'reasoning', summary: [] },
      { id: 'fc_1', type: 'function_call', call_id: 'c', name: 'f', arguments: '{}', status: 'completed' },
    ];
    expect(forNativeHistory(history)).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'q' }] },
      { id: 'rs_openai', type: 'reasoning', summary: [], encrypted_content: 'gAAAAB-opaque' },
      { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}', status: 'completed' },
    ]);
  });
});

describe('options', () => {
  it.each([
    [{ responses: { retentionDays: 0 } }, /responses\/retentionDays/],
    [{ responses: { maxStoredBytes: 'lots' } }, /responses\/maxStoredBytes/],
    [{ responses: { keepForever: true } }, /keepForever/],
  ])('refuses %j at start, naming the option', async (config, message) => {
    await expect(createGateway({ store: 'memory', ...(config as object) }, { logger: silentLogger })).rejects.toThrow(message);
  });

  it('takes the config\'s responses section', async () => {
    const gateway = await createGateway({ store: 'memory', responses: { retentionDays: 7, maxStoredBytes: 1024 } }, { logger: silentLogger });
    expect(gateway.config.sections.responses).toEqual({ retentionDays: 7, maxStoredBytes: 1024 });
    await gateway.close();
  });
});
