/**
 * The raw text of a decoded chunk is found by the chunk's identity: a copy never inherits it, and a
 * chunk decoded long ago (more than the ring holds) is serialised instead, never given another's text.
 */
import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '../../../index.js';
import { rawOf, rememberRaw } from '../../../plugins/openai/raw-chunk.js';

const chunk = (n: number): ChatCompletionChunk => ({ id: `c${n}`, object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: `w${n}` }, finish_reason: null }] });

describe('raw chunk text', () => {
  it('belongs to the chunk it was decoded with, not to a copy of it', () => {
    const original = chunk(1);
    rememberRaw(original, '{"id":"c1" }');
    expect(rawOf(original)).toBe('{"id":"c1" }');
    expect(rawOf({ ...original })).toBeUndefined();
    expect(rawOf({ ...original, choices: [] })).toBeUndefined();
  });

  it('is found for chunks decoded recently, interleaved with other streams', () => {
    const a = chunk(2);
    const b = chunk(3);
    rememberRaw(a, 'a');
    rememberRaw(b, 'b');
    for (let i = 0; i < 10; i++) rememberRaw(chunk(100 + i), `other ${i}`);
    expect(rawOf(a)).toBe('a');
    expect(rawOf(b)).toBe('b');
  });

  it('is forgotten once many chunks were decoded after it, and never mistaken for another', () => {
    const old = chunk(4);
    rememberRaw(old, 'old');
    for (let i = 0; i < 1000; i++) rememberRaw(chunk(1000 + i), `later ${i}`);
    expect(rawOf(old)).toBeUndefined();
    expect(rawOf(chunk(4))).toBeUndefined();
  });
});
