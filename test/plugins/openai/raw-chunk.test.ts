/**
 * The raw text of a decoded chunk is found by the chunk's identity: a copy never inherits it, and a
 * chunk decoded long ago (more than the ring holds) is serialised instead, never given another's text.
 */
import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '../../../index.js';
import { PassedChunk, rawOf, rememberRaw } from '../../../plugins/openai/raw-chunk.js';

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

describe('a chunk handed over unparsed', () => {
  const counting = () => {
    const parses: string[] = [];
    const parse = (data: string) => {
      parses.push(data);
      return JSON.parse(data) as ChatCompletionChunk;
    };
    return { parses, parse };
  };
  const text = '{"id":"c9","object":"chat.completion.chunk","created":5,"model":"m","x_vendor":1,"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}';

  it('gives its answer text without parsing the event, and the same choices a parse would', () => {
    const { parses, parse } = counting();
    const chunk = new PassedChunk(text, parse);
    expect(chunk.usage).toBeUndefined();
    expect(chunk.choices).toStrictEqual(JSON.parse(text).choices);
    expect(chunk.choices).toBe(chunk.choices);
    expect(parses).toEqual([]);
    expect(rawOf(chunk)).toBe(text);
  });

  it('parses the event, once, for any other field, and for choices of another shape', () => {
    const { parses, parse } = counting();
    const chunk = new PassedChunk(text, parse);
    expect([chunk.id, chunk.object, chunk.created, chunk.model]).toEqual(['c9', 'chat.completion.chunk', 5, 'm']);
    expect(JSON.parse(JSON.stringify(chunk))).toEqual(JSON.parse(text));
    expect(parses).toHaveLength(1);
    const tools = '{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":null}]}';
    expect(new PassedChunk(tools, parse).choices).toStrictEqual(JSON.parse(tools).choices);
    expect(parses).toHaveLength(2);
  });

  it("fails as the adapter's parse fails when a field of a broken event is read", () => {
    const broken = new PassedChunk('{"id":"c",oops}', (data) => {
      throw new Error(`acme: not JSON: ${data}`);
    });
    expect(() => broken.choices).toThrow('acme: not JSON');
  });
});
