/**
 * The answer text of a chunk read from its event text without a parse: exact where it answers (the
 * same choices JSON.parse gives), and no answer for any shape it does not know.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { deltaChoices } from '../../../plugins/openai/delta-choices.js';

const event = (choice: Record<string, unknown>, top: Record<string, unknown> = {}) =>
  JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', system_fingerprint: 'fp_1', choices: [choice], ...top });

describe('deltaChoices', () => {
  it.each([
    ['a word', event({ index: 0, delta: { content: 'Hello' }, logprobs: null, finish_reason: null })],
    ["OpenAI's shape with usage asked for", event({ index: 0, delta: { content: ' there' }, logprobs: null, finish_reason: null }, { usage: null, obfuscation: 'x9' })],
    ['the role with the first words', event({ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null })],
    ["OpenAI's first chunk (a refusal that is null)", event({ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }, { usage: null })],
    ['null keys after a word, and a duplicate text JSON.parse makes null', '{"choices":[{"index":0,"delta":{"content":"a","refusal":null,"content":null},"finish_reason":null}]}'],
    ['nothing after the delta', event({ index: 0, delta: { content: 'x' } })],
    ['another choice index', event({ index: 12, delta: { content: 'x' }, finish_reason: null })],
    ['an empty text', event({ index: 0, delta: { content: '' }, finish_reason: null })],
    ['escapes', event({ index: 0, delta: { content: 'line\n\t"quoted" back\\slash \\' }, finish_reason: null })],
    ['a text ending in a backslash', event({ index: 0, delta: { content: 'C:\\' }, finish_reason: null })],
    ['characters beyond ASCII', event({ index: 0, delta: { content: 'café 日本 🙂' }, finish_reason: null })],
    ['a vendor field that is null', event({ index: 0, delta: { content: 'x' }, finish_reason: null, native_finish_reason: null, logprobs: null })],
    ['text that looks like JSON keys', event({ index: 0, delta: { content: '"choices":[{"index":1,"delta":{"content":"no"}}]' }, finish_reason: null })],
    ["OpenAI's last chunk", event({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }, { usage: null })],
    ['a finish without logprobs', event({ index: 0, delta: {}, finish_reason: 'tool_calls' })],
    ['a finish with the last words', event({ index: 0, delta: { content: 'end.' }, logprobs: null, finish_reason: 'length' })],
    ['a finish after a vendor field that is null', event({ index: 0, delta: {}, native_finish_reason: null, finish_reason: 'content_filter' })],
    ['an empty delta that does not finish', event({ index: 0, delta: {}, logprobs: null, finish_reason: null })],
  ])('reads %s exactly', (_what, data) => {
    const choices = deltaChoices(data);
    expect(choices).toBeDefined();
    expect(choices).toStrictEqual((JSON.parse(data) as { choices: unknown }).choices);
  });

  it.each([
    ['tool calls', event({ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] }, finish_reason: null })],
    ['reasoning', event({ index: 0, delta: { reasoning_content: 'hmm' }, finish_reason: null })],
    ['reasoning after the text', event({ index: 0, delta: { content: 'a', reasoning_content: 'hmm' }, finish_reason: null })],
    ['a refusal with a value', event({ index: 0, delta: { role: 'assistant', content: '', refusal: 'no' }, finish_reason: null })],
    ['a null key JSON.parse keeps as a field of the delta', '{"choices":[{"index":0,"delta":{"content":"a","__proto__":null}}]}'],
    ['the role after the text', event({ index: 0, delta: { content: 'a', role: 'assistant' }, finish_reason: null })],
    ['a role other than the assistant', event({ index: 0, delta: { role: 'tool', content: 'a' }, finish_reason: null })],
    ['a null text', event({ index: 0, delta: { content: null }, finish_reason: null })],
    ['logprobs with values', event({ index: 0, delta: { content: 'a' }, logprobs: { content: [] }, finish_reason: null })],
    ['two choices', JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { content: 'a' } }, { index: 1, delta: { content: 'b' } }] })],
    ['no choices', JSON.stringify({ id: 'c', choices: [] })],
    ['spacing', '{"id":"c", "choices": [{"index": 0, "delta": {"content": "a"}}]}'],
    ['a second choices key', '{"choices":[{"index":0,"delta":{"content":"a"}}],"x":{"choices":[]}}'],
    // Found by the event's first `[{"`: a vendor's array of objects before the choices is parsed.
    ['an array of objects written before the choices', '{"id":"c","x_vendor":[{"a":1}],"choices":[{"index":0,"delta":{"content":"a"}}]}'],
    ['a choices key inside a string key', '{"a\\"choices":[{"index":0,"delta":{"content":"a"}}]}'],
    ['a control character JSON refuses', '{"choices":[{"index":0,"delta":{"content":"a\tb"}}]}'],
    ['an escape JSON refuses', '{"choices":[{"index":0,"delta":{"content":"a\\qb"}}]}'],
    ['a text never closed', '{"choices":[{"index":0,"delta":{"content":"abc'],
    ['an index with a leading zero', '{"choices":[{"index":01,"delta":{"content":"a"}}]}'],
    ['a null key JSON.parse keeps as a field', '{"choices":[{"index":0,"delta":{"content":"a"},"__proto__":null}]}'],
    ['a choice object cut short', '{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null'],
    ['a finish reason before other keys', event({ index: 0, delta: {}, finish_reason: 'stop', logprobs: null })],
    ['a finish reason that is not a lower-case word', event({ index: 0, delta: {}, finish_reason: 'Stop now' })],
    ['a second finish reason', '{"choices":[{"index":0,"delta":{},"finish_reason":null,"finish_reason":"stop"}]}'],
    ['a vendor reason with a value', event({ index: 0, delta: {}, native_finish_reason: 'stop', finish_reason: 'stop' })],
  ])('does not answer for %s', (_what, data) => {
    expect(deltaChoices(data)).toBeUndefined();
  });

  it('reads any text exactly, whatever characters it holds (2,000 random texts)', () => {
    const pool = ['a', ' ', '"', '\\', '\n', '\t', '\u0001', '}', ']', ',', ':', '{', '[', 'é', '日', '🙂', '\u2028', '/', 'null'];
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: random(24) }, () => pool[random(pool.length)]).join('');
      const data = event({ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }, { usage: null });
      expect(deltaChoices(data)).toStrictEqual((JSON.parse(data) as { choices: unknown }).choices);
    }
  });

  it("keeps no part of the event's text alive through the answer's text (a kept text is a copy)", () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // 200 events of 50 KB each (a vendor field), each with a text long enough for V8 to slice.
    const texts: string[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) {
      const data = event({ index: 0, delta: { content: `the answer's words, part ${i}` }, logprobs: null, finish_reason: null }, { x_vendor: 'v'.repeat(50_000) + i });
      texts.push(deltaChoices(data)![0]!.delta.content as string);
    }
    gc();
    const kept = process.memoryUsage().heapUsed - before;
    expect(texts[199]).toBe("the answer's words, part 199");
    // Slices of the events would keep their 10 MB alive.
    expect(kept).toBeLessThan(2_000_000);
  });
});
