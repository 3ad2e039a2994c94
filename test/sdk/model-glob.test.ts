import { describe, expect, it } from 'vitest';
import { LONGEST_GLOB_VALUE, compileGlob, matchesModelGlob } from '../../sdk/plugin/model-glob.js';

describe('matchesModelGlob', () => {
  it('matches provider/model globs case-insensitively, the same answer every time it is asked', () => {
    for (let i = 0; i < 3; i++) {
      expect(matchesModelGlob('openai/gpt-4o-mini', 'openai/*')).toBe(true);
      expect(matchesModelGlob('OpenAI/GPT-4o-mini', 'openai/*mini')).toBe(true);
      expect(matchesModelGlob('anthropic/claude-sonnet-4-5', 'openai/*')).toBe(false);
      // `*` stops at a slash: a namespaced name needs its provider part.
      expect(matchesModelGlob('openai/gpt-4o', 'gpt-*')).toBe(false);
      expect(matchesModelGlob('fast', 'fast')).toBe(true);
    }
  });

  it('keeps answering past its cache of compiled globs', () => {
    for (let i = 0; i < 1_500; i++) expect(matchesModelGlob(`p/m${i}`, `p/m${i}`)).toBe(true);
    expect(matchesModelGlob('p/m0', 'p/m1')).toBe(false);
  });
});

// picomatch's `*`s between literals retry at every position: a client's model name of 120 KB
// (`claude` repeated, against `*claude*sonnet*`) took a second of CPU (a review found it). A value
// longer than LONGEST_GLOB_VALUE matches no glob, without being matched at all.
describe('a value longer than LONGEST_GLOB_VALUE', () => {
  it('matches no glob, not even `*`, so that the matcher never runs on it', () => {
    const long = 'claude'.repeat(20_000);
    expect(compileGlob('*')(long)).toBe(false);
    expect(matchesModelGlob(long, '*claude*sonnet*')).toBe(false);
    const atTheLimit = `claude-${'x'.repeat(LONGEST_GLOB_VALUE - 14)}-sonnet`;
    expect(atTheLimit.length).toBe(LONGEST_GLOB_VALUE);
    expect(matchesModelGlob(atTheLimit, '*claude*sonnet*')).toBe(true);
  });
});
