/**
 * BPE merges a piece of text in time that grows with the square of its length, and the encoding's
 * pattern makes one piece of a run of one character, of spaces of two kinds, or of `/\n` after a
 * `!`: 40,000 characters of such a run took seconds to count, on the event loop, for any client to
 * send (a security review found the first, a review of that fix the other two). countInParts hands
 * the tokenizer no part longer than LONGEST_PART, and cuts where no piece can run across, so that
 * prose and code are counted exactly as whole.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { countInParts, counterFor, LONGEST_PART } from '../../../plugins/token-counter/encodings.js';

const require = createRequire(import.meta.url);
const exact = {
  o200k: require('gpt-tokenizer/encoding/o200k_base') as { countTokens(text: string, options: unknown): number },
  cl100k: require('gpt-tokenizer/encoding/cl100k_base') as { countTokens(text: string, options: unknown): number },
};
const PLAIN = { disallowedSpecial: new Set<string>() };

const HOSTILE = ['模'.repeat(40_000), 'a'.repeat(40_000), ' '.repeat(40_000), ' \u2003'.repeat(20_000), `!${'/\n'.repeat(20_000)}`, `hello ${'x'.repeat(10_000)} world`];

describe('countInParts', () => {
  it.each(HOSTILE.map((text) => [JSON.stringify(text.slice(0, 12)), text]))('hands the tokenizer no part longer than LONGEST_PART: %s…', (_shown, text) => {
    const given: string[] = [];
    countInParts(text, (part) => (given.push(part), 0));
    expect(given.join('')).toBe(text);
    expect(Math.max(...given.map((part) => part.length))).toBeLessThanOrEqual(LONGEST_PART);
  });

  it('counts prose, code and CJK prose exactly as the tokenizer counts them whole', () => {
    const texts = [
      'The quick brown fox jumps over the lazy dog; it was not amused.  Twice!\n\n'.repeat(300),
      'export function add(a: number, b: number) {\n  return a + b; // sum\n}\n\n'.repeat(300),
      '今日は良い天気ですね。私は公園に行きました、そして友達と話しました。'.repeat(60),
      'Ünïcödé wörds, naïve café: résumé — “quoted” ‘text’.\t'.repeat(300),
    ];
    for (const [name, encoding] of Object.entries(exact)) {
      for (const text of texts) {
        const whole = encoding.countTokens(text, PLAIN);
        expect(countInParts(text, (part) => encoding.countTokens(part, PLAIN)), `${name}: ${text.slice(0, 20)}`).toBe(whole);
      }
    }
  });

  it('counts a long run within a token a cut of its exact count', () => {
    const count = counterFor('o200k_base');
    for (const text of ['模'.repeat(4_000), 'ab'.repeat(2_000), `${' '.repeat(3_000)}x`]) {
      const cuts = Math.ceil(text.length / LONGEST_PART);
      expect(Math.abs(count(text) - exact.o200k.countTokens(text, PLAIN))).toBeLessThanOrEqual(cuts);
    }
  });
});
