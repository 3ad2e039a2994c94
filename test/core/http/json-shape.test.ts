/**
 * The shape check runs over every request body before it is parsed: depth, elements per container
 * and string length, with strings skipped whole (brackets and commas inside them do not count).
 * Its string scan finds closing quotes with `indexOf`; it must decide exactly as a scan of one
 * character at a time does, escapes included.
 */
import { describe, expect, it } from 'vitest';
import { checkJsonShape } from '../../../core/http/json-shape.js';

const LIMITS = { maxDepth: 4, maxArrayLength: 5, maxStringLength: 8 };

/** The check as a scan of one character at a time: the reference the fast scan must agree with. */
function referenceCheck(text: string, limits: typeof LIMITS): string | undefined {
  const counts: number[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '"') break;
      }
      if (i - start - 1 > limits.maxStringLength) return 'string_too_long';
    } else if (c === '[' || c === '{') {
      if (++depth > limits.maxDepth) return 'too_deep';
      counts.push(1);
    } else if (c === ']' || c === '}') {
      depth--;
      counts.pop();
    } else if (c === ',' && counts.length > 0) {
      if (++counts[counts.length - 1]! > limits.maxArrayLength) return 'array_too_long';
    }
  }
  return undefined;
}

function verdict(text: string): string | undefined {
  try {
    checkJsonShape(text, LIMITS);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('checkJsonShape', () => {
  it('skips strings whole, escaped quotes included', () => {
    expect(verdict('["a\\"[[[[", 1]')).toBeUndefined();
    expect(verdict('["\\\\", [[[[[ ]]]]]]')).toBe('too_deep');
    expect(verdict('[",,,,,,,,"]')).toBeUndefined();
    expect(verdict('["ab\\\\\\"cd"]')).toBeUndefined();
  });

  it('measures a string between its quotes, escapes as written', () => {
    expect(verdict('["12345678"]')).toBeUndefined();
    expect(verdict('["123456789"]')).toBe('string_too_long');
    expect(verdict('["1234\\"678"]')).toBe('string_too_long');
    // Never closed: it runs to the end of the text.
    expect(verdict('["123')).toBeUndefined();
    expect(verdict('["123456789')).toBe('string_too_long');
    expect(verdict('["1234567\\')).toBeUndefined();
  });

  it('decides as a scan of one character at a time does, on any text', () => {
    const alphabet = ['"', '\\', '[', ']', '{', '}', ',', 'a', ' ', ':'];
    let seed = 1;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n < 20_000; n++) {
      const length = 1 + Math.floor(random() * 40);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      expect(verdict(text), text).toBe(referenceCheck(text, LIMITS));
    }
  });

  it("lays out an object's top-level members, and only when asked", () => {
    const text = '{ "model": "m", "messages": [{"role": "user", "content": "a:b,c"}] , "n":1}';
    const layout = checkJsonShape(text, LIMITS);
    expect(layout?.members.map((m) => [m.key, text.slice(m.start, m.end)])).toEqual([
      ['model', '"model": "m"'],
      ['messages', '"messages": [{"role": "user", "content": "a:b,c"}] '],
      ['n', '"n":1'],
    ]);
    expect(layout?.memberCount).toBe(5);
    expect(checkJsonShape(text, LIMITS, false)).toBeUndefined();
  });
});
