/**
 * StreamedToolCalls numbers streamed tool calls as OpenAI does, whatever the host: OpenAI's own
 * deltas (index on each, id on the first, calls interleaved), Ollama's (every call index 0, each
 * with its own id) and Gemini's endpoint (no index, each call whole with its id). Keyed by index
 * alone (the cache and the Responses front-end before their fix) the last two were one call.
 */
import { describe, expect, it } from 'vitest';
import { StreamedToolCalls } from '../../sdk/plugin/streamed-tool-calls.js';

const numbers = (deltas: Array<{ index?: number; id?: string }>) => {
  const calls = new StreamedToolCalls();
  return deltas.map((delta) => calls.callOf(delta));
};

describe('StreamedToolCalls', () => {
  it("follows OpenAI's indexes, interleaved calls included", () => {
    expect(numbers([{ index: 0, id: 'a' }, { index: 0 }, { index: 1, id: 'b' }, { index: 0 }, { index: 1 }])).toEqual([0, 0, 1, 0, 1]);
  });

  it("tells Ollama's calls apart by their ids, each numbered 0", () => {
    expect(numbers([{ index: 0, id: 'a' }, { index: 0, id: 'b' }, { index: 0, id: 'c' }])).toEqual([0, 1, 2]);
  });

  it("tells Gemini's calls apart by their ids, without an index", () => {
    expect(numbers([{ id: 'a' }, {}, { id: 'b' }, { id: 'b' }])).toEqual([0, 0, 1, 1]);
  });

  it('reads an empty id as no id (it names no other call)', () => {
    expect(numbers([{ index: 0, id: 'a' }, { index: 0, id: '' }, { id: '' }])).toEqual([0, 0, 0]);
  });

  it('numbers calls in the order they begin, whatever the host numbers them', () => {
    expect(numbers([{ index: 3, id: 'x' }, { index: 7, id: 'y' }, { index: 3 }])).toEqual([0, 1, 0]);
  });
});
