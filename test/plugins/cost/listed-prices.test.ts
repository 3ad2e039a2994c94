/**
 * A price book with the prices hosts list (ListedPrices): they price what the table and the
 * overrides do not, never what they do; a new listing reaches a model the book had remembered as
 * unknown; and a provider taken away by a live change takes its prices with it.
 */
import { describe, expect, it } from 'vitest';
import { ListedPrices } from '../../../plugins/cost/listed-prices.js';
import { createPriceBook } from '../../../plugins/cost/price-book.js';

/** The provider instance a listing came from. */
const SOURCE = {};

describe('ListedPrices in a price book', () => {
  it('prices a model only its host lists, after the book had found it unknown', () => {
    const listed = new ListedPrices();
    const book = createPriceBook({}, listed);
    expect(book.lookup('openrouter', 'moonshotai/kimi-k2')).toBeUndefined();
    listed.learn('openrouter', [{ id: 'moonshotai/kimi-k2', price: { input: 1, output: 3 } }, { id: 'no/price' }], SOURCE);
    expect(book.lookup('openrouter', 'moonshotai/kimi-k2')).toEqual({ input: 1, output: 3 });
    expect(book.lookup('openrouter', 'no/price')).toBeUndefined();
    // Another provider's model of the same name is not priced by this one's list.
    expect(book.lookup('other', 'moonshotai/kimi-k2')).toBeUndefined();
  });

  it('never prices over the table or an override', () => {
    const listed = new ListedPrices();
    const book = createPriceBook({ 'openrouter/acme/custom': { input: 7, output: 8 } }, listed);
    listed.learn('openrouter', [
      { id: 'openai/gpt-4o', price: { input: 99, output: 99 } },
      { id: 'acme/custom', price: { input: 99, output: 99 } },
    ], SOURCE);
    expect(book.lookup('openrouter', 'openai/gpt-4o')?.input).toBe(2.5);
    expect(book.lookup('openrouter', 'acme/custom')).toEqual({ input: 7, output: 8 });
  });

  it('finds a model whatever its case, and a variant the list has no entry of by its listed model', () => {
    const listed = new ListedPrices();
    const book = createPriceBook({}, listed);
    listed.learn('openrouter', [{ id: 'moonshotai/kimi-k2', price: { input: 1, output: 3 } }, { id: 'moonshotai/kimi-k2:free', price: { input: 0, output: 0 } }], SOURCE);
    for (const model of ['MoonshotAI/Kimi-K2', 'moonshotai/kimi-k2:nitro', 'moonshotai/kimi-k2:floor']) expect(book.lookup('openrouter', model), model).toEqual({ input: 1, output: 3 });
    expect(book.lookup('openrouter', 'moonshotai/kimi-k2:free')).toEqual({ input: 0, output: 0 });
  });

  it('replaces a listing whole, and forgets what a provider listed once the id is served by another or by none', () => {
    const listed = new ListedPrices();
    const book = createPriceBook({}, listed);
    const first = {};
    const other = {};
    listed.learn('openrouter', [{ id: 'a/one', price: { input: 1, output: 1 } }], first);
    listed.learn('other', [{ id: 'b/two', price: { input: 2, output: 2 } }], other);
    expect(book.lookup('openrouter', 'a/one')).toBeDefined();
    listed.learn('openrouter', [{ id: 'a/new', price: { input: 1, output: 1 } }], first);
    expect(book.lookup('openrouter', 'a/one')).toBeUndefined();
    expect(book.lookup('openrouter', 'a/new')).toBeDefined();
    // A live change: `openrouter` kept as it was, `other` taken away.
    listed.follow((id) => (id === 'openrouter' ? first : undefined));
    expect(book.lookup('other', 'b/two')).toBeUndefined();
    expect(book.lookup('openrouter', 'a/new')).toBeDefined();
    // Another: `openrouter` now names another host, which lists nothing.
    listed.follow(() => ({}));
    expect(book.lookup('openrouter', 'a/new')).toBeUndefined();
  });
});
