/**
 * A plugin option written `1e999` in a JSON config (docs/plugins.md §1: "Numbers must be finite:
 * JSON's `1e999` reads as Infinity and is refused", and a wrong option fails naming "what was
 * found"). Before its fix, it was refused, but the message said the value found was `null`
 * (`options/maxMessages must be an integer (found null)`), which the user never wrote: the value
 * was printed with JSON.stringify, which writes Infinity as null. Now the message says
 * `found Infinity` (and `-Infinity`, `NaN`), also inside an array or object found.
 */
import { describe, expect, it } from 'vitest';
import { definePlugin } from 'llm-gateway/plugin';
import { describeFound } from '../../core/validation.js';

const limiter = definePlugin<{ maxMessages: number; weights?: number[] }>({
  name: 'message-limiter',
  schema: {
    type: 'object', required: ['maxMessages'], additionalProperties: false,
    properties: { maxMessages: { type: 'integer', minimum: 1 }, weights: { type: 'array', items: { type: 'integer' } } },
  },
});

function refusal(json: string): string {
  try {
    limiter(JSON.parse(json));
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
}

describe('a number JSON cannot write, in a plugin option', () => {
  it("is refused, naming Infinity as what was found, not JSON's null", () => {
    const message = refusal('{"maxMessages": 1e999}');
    expect(message).toContain('message-limiter');
    expect(message).toContain('options/maxMessages');
    expect(message).toContain('(found Infinity)');
    expect(message).not.toContain('null');
    expect(refusal('{"maxMessages": -1e999}')).toContain('(found -Infinity)');
  });

  it('is named inside what was found, too', () => {
    expect(refusal('{"maxMessages": 2, "weights": [1, 1e999]}')).toContain('options/weights/1');
    expect(describeFound([1, Infinity, { a: NaN, b: -Infinity }])).toBe('found [1,Infinity,{"a":NaN,"b":-Infinity}]');
    expect(describeFound(NaN)).toBe('found NaN');
    expect(describeFound({ apiKey: 'sk-very-secret-value', n: 3 })).toBe('found {"apiKey":"***","n":3}');
  });
});
