/**
 * `listedPrice` reads a model's `pricing` as OpenRouter's model list writes it (USD per token as
 * decimal strings) into the price table's unit, USD per million tokens, and gives none where the
 * list has no usable price.
 */
import { describe, expect, it } from 'vitest';
import { listedPrice } from '../../../plugins/openai/models.js';

describe('listedPrice', () => {
  it("reads OpenRouter's per-token strings as prices a million tokens, cache reads and writes included", () => {
    expect(listedPrice({ prompt: '0.000003', completion: '0.000015', request: '0', image: '0.0048', input_cache_read: '0.0000003', input_cache_write: '0.00000375' })).toEqual({
      input: 3,
      output: 15,
      cachedInput: 0.3,
      cacheWrite: 3.75,
    });
  });

  it('prices a free model at nothing, and leaves a cache price of 0 unlisted rather than free', () => {
    expect(listedPrice({ prompt: '0', completion: '0' })).toEqual({ input: 0, output: 0 });
    expect(listedPrice({ prompt: '0.000001', completion: '0.000002', input_cache_read: '0', input_cache_write: '' })).toEqual({ input: 1, output: 2 });
  });

  it('gives no price for a router priced "-1", a missing or unreadable prompt or completion price, or no pricing', () => {
    for (const pricing of [{ prompt: '-1', completion: '-1' }, { prompt: '0.000001' }, { prompt: 'free', completion: '0' }, { prompt: '', completion: '0' }, null, 'cheap', undefined]) {
      expect(listedPrice(pricing), JSON.stringify(pricing)).toBeUndefined();
    }
  });
});
