/**
 * A run of one kind of character is one piece to the tokenizer, whose merging grows with the
 * square of a piece's length: 40,000 of one CJK character took 6.4 s to count, on the event loop,
 * for any client to send (a security review found it). countInRuns hands the tokenizer no run
 * longer than LONGEST_RUN; a text without such a run is counted whole, exactly as before.
 */
import { describe, expect, it } from 'vitest';
import { countInRuns, counterFor, LONGEST_RUN } from '../../../plugins/token-counter/encodings.js';

/** The longest run of one kind (spaces, digits, the rest) in a text, as countInRuns sees kinds. */
function longestRun(text: string): number {
  const kind = (c: string) => (/\s/.test(c) ? 0 : /[0-9]/.test(c) ? 1 : 2);
  let longest = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    run = i > 0 && kind(text[i]!) === kind(text[i - 1]!) ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  return longest;
}

describe('countInRuns', () => {
  it('hands the tokenizer no run longer than LONGEST_RUN, whatever the text', () => {
    for (const text of ['模'.repeat(40_000), 'a'.repeat(40_000), ' '.repeat(40_000), '-'.repeat(40_000), `hello ${'x'.repeat(10_000)} world ${'模'.repeat(600)}`]) {
      const given: string[] = [];
      countInRuns(text, (part) => (given.push(part), part.length));
      expect(given.join('')).toBe(text);
      expect(Math.max(...given.map(longestRun))).toBeLessThanOrEqual(LONGEST_RUN);
    }
  });

  it('counts a text without a long run whole, as the tokenizer alone does', () => {
    const text = 'The quick brown fox jumps over the lazy dog; 1234567 模型 counts. '.repeat(500);
    const given: string[] = [];
    countInRuns(text, (part) => (given.push(part), 0));
    expect(given).toEqual([text]);
  });

  it('counts a long run within a token a cut of its exact count', async () => {
    const count = counterFor('o200k_base');
    const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
    for (const text of ['模'.repeat(4_000), 'ab'.repeat(2_000), `${' '.repeat(3_000)}x`]) {
      const cuts = Math.ceil(text.length / LONGEST_RUN);
      expect(Math.abs(count(text) - countTokens(text))).toBeLessThanOrEqual(cuts);
    }
  });
});
