import { describe, expect, it } from 'vitest';
import { matchesModelGlob } from '../../sdk/plugin/model-glob.js';

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
