/**
 * StreamedReasoningDetails puts a host's streamed `reasoning_details` pieces back together by
 * index, as OpenRouter's whole answer has them: text, summary and encrypted data joined in order,
 * the signature and the other fields from whichever piece carries them.
 */
import { describe, expect, it } from 'vitest';
import { StreamedReasoningDetails } from '../../sdk/plugin/streamed-reasoning-details.js';

const merged = (...deltas: unknown[][]) => {
  const details = new StreamedReasoningDetails();
  for (const pieces of deltas) details.add(pieces);
  return details.list();
};

describe('StreamedReasoningDetails', () => {
  it("joins an entry's text over its pieces and takes its signature from the last", () => {
    expect(
      merged(
        [{ type: 'reasoning.text', text: 'Let me ', format: 'anthropic-claude-v1', index: 0 }],
        [{ type: 'reasoning.text', text: 'think.', format: 'anthropic-claude-v1', index: 0 }],
        [{ type: 'reasoning.text', signature: 'SIG', format: 'anthropic-claude-v1', index: 0 }],
      ),
    ).toEqual([{ type: 'reasoning.text', text: 'Let me think.', format: 'anthropic-claude-v1', index: 0, signature: 'SIG' }]);
  });

  it('keeps entries of other indexes apart, in the order they began, pieces interleaved', () => {
    expect(
      merged(
        [{ type: 'reasoning.summary', summary: 'First', index: 0 }],
        [{ type: 'reasoning.encrypted', data: 'AB', id: 'rs_1', index: 1 }, { type: 'reasoning.summary', summary: ' part', index: 0 }],
        [{ type: 'reasoning.encrypted', data: 'CD', index: 1 }],
      ),
    ).toEqual([
      { type: 'reasoning.summary', summary: 'First part', index: 0 },
      { type: 'reasoning.encrypted', data: 'ABCD', id: 'rs_1', index: 1 },
    ]);
  });

  it('leaves pieces without an index, of another type at the same index, or not objects, as entries of their own', () => {
    expect(
      merged(
        [{ type: 'reasoning.text', text: 'a' }, { type: 'reasoning.text', text: 'b' }],
        [{ type: 'reasoning.text', text: 'c', index: 0 }, { type: 'reasoning.encrypted', data: 'X', index: 0 }],
        ['odd', null],
      ),
    ).toEqual([{ type: 'reasoning.text', text: 'a' }, { type: 'reasoning.text', text: 'b' }, { type: 'reasoning.text', text: 'c', index: 0 }, { type: 'reasoning.encrypted', data: 'X', index: 0 }, 'odd', null]);
  });

  it("never writes the host's objects, and a null field does not erase one already given", () => {
    const first = { type: 'reasoning.text', text: 'one', id: 'x', index: 0 };
    const second = { type: 'reasoning.text', text: ' two', id: null, index: 0 };
    expect(merged([first], [second])).toEqual([{ type: 'reasoning.text', text: 'one two', id: 'x', index: 0 }]);
    expect(first).toEqual({ type: 'reasoning.text', text: 'one', id: 'x', index: 0 });
  });

  it('takes a `__proto__` key as data, not as the prototype of the entry', () => {
    const [entry] = merged([{ type: 'reasoning.text', text: 'a', index: 0 }], [JSON.parse('{"type":"reasoning.text","index":0,"__proto__":{"polluted":true}}') as unknown]) as Array<Record<string, unknown>>;
    expect(Object.getPrototypeOf(entry)).toBe(Object.prototype);
    expect(entry!.polluted).toBeUndefined();
  });
});
