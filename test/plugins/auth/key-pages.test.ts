/**
 * Keys a page at a time, newest first (plugins/auth/key-list.ts): before, `GET /admin/keys`, the
 * dashboard's Keys page and `keys list` read and sent every key in one body, so a gateway whose
 * keys are made by the thousand (one per user, one per CI job) answered with tens of megabytes.
 * Pages walk the slots down from the newest, then the legacy index that keys made before slots
 * are in; a key made while a client pages never lands on a page twice.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore } from '../../../core/store/store.js';
import type { Store } from '../../../core/store/store.js';
import { KeyStore, keyStateOf, type KeyRecords, type KeyView } from '../../../plugins/auth/keys.js';

let store: Store;
let keys: KeyStore;
beforeEach(async () => {
  store = await openStore('memory', silentLogger);
  keys = new KeyStore(keyStateOf(store), 0);
});
afterEach(() => store.close());

async function create(count: number, prefix = 'k'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await keys.create({ name: `${prefix}${i}` })).key.id);
  return ids;
}

/** Every page, following `next` from the newest. */
async function allPages(limit: number): Promise<KeyView[][]> {
  const pages: KeyView[][] = [];
  let cursor: string | undefined;
  do {
    const page = await keys.page(limit, cursor);
    pages.push(page.keys);
    cursor = page.next;
  } while (cursor !== undefined && pages.length < 1000);
  return pages;
}

describe('pages of keys', () => {
  it('are full but the last, newest first, and together hold every key once', async () => {
    const made = await create(25);
    const pages = await allPages(10);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat().map((k) => k.id)).toEqual([...made].reverse());
  });

  it('say there is no next page when the keys end exactly at one', async () => {
    await create(20);
    const first = await keys.page(10);
    const second = await keys.page(10, first.next);
    expect(first.next).toBeDefined();
    expect(second.keys).toHaveLength(10);
    // Not a third page that turns out empty.
    expect(second.next).toBeUndefined();
  });

  it('reach keys made before slots, in the legacy index, after every slotted key', async () => {
    const kv = store.kv<KeyRecords>('keys');
    const legacy = ['key_legacy_a', 'key_legacy_b', 'key_legacy_c'];
    for (const id of legacy) await kv.set(`id:${id}`, { id, name: id, preview: 'sk-gw-…', hash: `h-${id}`, createdAt: '2026-12-01T00:00:00.000Z' });
    await kv.set('index', legacy);
    const made = await create(4);
    const pages = await allPages(3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((k) => k.id)).toEqual([...made].reverse().concat([...legacy].reverse()));
  });

  it('skip a slot whose key was never written, and show a key made while paging on no later page', async () => {
    const made = await create(6);
    // A create that drew slot 7 and failed before writing it leaves a hole.
    await store.counters.add('keys:slots', 1);
    const after = await create(2);
    const first = await keys.page(3);
    const late = await create(1);
    const rest = (await allPagesFrom(3, first.next)).flat();
    const seen = [...first.keys, ...rest].map((k) => k.id);
    expect(seen).toEqual([...made, ...after].reverse());
    expect(seen).not.toContain(late[0]);
    // The next walk from the newest starts with it.
    expect((await keys.page(1)).keys[0]!.id).toBe(late[0]);
  });

  it('refuse a cursor the store did not give out: not a number, or a slot that holds no key', async () => {
    await create(3);
    for (const cursor of ['abc', '1.5', '', '1e3', '99999999999999999999', '999999999999999', '4']) {
      await expect(keys.page(10, cursor), cursor).rejects.toMatchObject({ kind: 'invalid_request', param: 'cursor' });
    }
  });

  it('list() still gives every key, past one page of a thousand', async () => {
    const made = await create(1_050);
    const listed = await keys.list();
    expect(listed).toHaveLength(1_050);
    expect(new Set(listed.map((k) => k.id))).toEqual(new Set(made));
  }, 60_000);
});

async function allPagesFrom(limit: number, cursor: string | undefined): Promise<KeyView[][]> {
  const pages: KeyView[][] = [];
  while (cursor !== undefined && pages.length < 1000) {
    const page = await keys.page(limit, cursor);
    pages.push(page.keys);
    cursor = page.next;
  }
  return pages;
}
