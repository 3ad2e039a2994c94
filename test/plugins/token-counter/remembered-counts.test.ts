/**
 * An agent sends its whole conversation again with every turn, so the counter remembers long
 * texts' counts: the tokenizer runs once per long message, not once per request, and the answer
 * is the same.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { countPromptTokens } from '../../../plugins/token-counter/count.js';

const require = createRequire(import.meta.url);
const o200k = require('gpt-tokenizer/encoding/o200k_base') as { countTokens: (text: string, options?: unknown) => number };

/** A long message (a file an agent read), built afresh each time as a parsed request's strings are. */
const file = (n: number) => `File ${n}:\n${'export function add(a: number, b: number) { return a + b; }\n'.repeat(20)}`;
const turn = (turns: number) => ({
  model: 'openai/gpt-4o',
  messages: Array.from({ length: turns }, (_, i) => ({ role: i % 2 === 0 ? ('user' as const) : ('assistant' as const), content: JSON.parse(JSON.stringify(file(i))) as string })),
});

afterEach(() => vi.restoreAllMocks());

describe('remembered counts', () => {
  it('counts a long message once, however often a conversation sends it again', () => {
    const first = countPromptTokens(turn(4));
    const tokenize = vi.spyOn(o200k, 'countTokens');
    const again = countPromptTokens(turn(4));
    expect(again).toEqual(first);
    // The roles are short and counted afresh; the four files are remembered.
    const longTexts = tokenize.mock.calls.filter(([text]) => text.length >= 256);
    expect(longTexts).toHaveLength(0);

    // The next turn adds one message: only it is tokenized.
    countPromptTokens(turn(5));
    expect(tokenize.mock.calls.filter(([text]) => text.length >= 256)).toHaveLength(1);
  });

  it('gives the tokenizer\'s own count', () => {
    const text = `${file(99)}unique ${Math.random()}`;
    const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: text }] };
    const expected = countPromptTokens(request).tokens;
    expect(countPromptTokens({ ...request, messages: [{ role: 'user', content: JSON.parse(JSON.stringify(text)) as string }] }).tokens).toBe(expected);
    // 3 for the message, the role's tokens, 3 to prime the reply: the rest is the text's own count.
    expect(expected).toBe(o200k.countTokens(text, { disallowedSpecial: new Set() }) + o200k.countTokens('user') + 6);
  });

  it('tells apart texts of the same length, and keeps only the last 64 of one length', () => {
    // Found by length, then compared: texts of one length must each get their own count.
    // (Padded with words, not one run of dots: a run past 256 characters is counted in parts, a token off at most.)
    const sameLength = Array.from({ length: 66 }, (_, i) => `${'word '.repeat(60 + i)}`.padEnd(700, ' x') + `#${String(i).padStart(2, '0')}`);
    expect(new Set(sameLength.map((text) => text.length)).size).toBe(1);
    const request = (text: string) => ({ model: 'gpt-4o', messages: [{ role: 'user' as const, content: JSON.parse(JSON.stringify(text)) as string }] });
    const counts = sameLength.map((text) => countPromptTokens(request(text)).tokens);
    expect(counts).toEqual(sameLength.map((text) => o200k.countTokens(text, { disallowedSpecial: new Set() }) + o200k.countTokens('user') + 6));
    expect(new Set(counts).size).toBeGreaterThan(sameLength.length / 2);

    const tokenize = vi.spyOn(o200k, 'countTokens');
    // A long text is tokenized in parts (countInParts): what counts is whether it was tokenized at all.
    const tokenized = (calls: unknown[][]) => calls.filter(([text]) => text !== 'user').length;
    // The last 64 of that length are remembered; the first two were let go.
    for (const text of sameLength.slice(2)) countPromptTokens(request(text));
    expect(tokenized(tokenize.mock.calls)).toBe(0);
    countPromptTokens(request(sameLength[0]!));
    const afterFirst = tokenized(tokenize.mock.calls);
    expect(afterFirst).toBeGreaterThan(0);
    countPromptTokens(request(sameLength[1]!));
    expect(tokenized(tokenize.mock.calls)).toBeGreaterThan(afterFirst);
  });
});
