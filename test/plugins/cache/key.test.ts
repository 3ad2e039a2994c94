/** The exact key: what changes the answer is in it, what does not is out, and the scope is always in. */
import { describe, expect, it } from 'vitest';
import { exactKey, FIELDS_OUTSIDE_THE_KEY, partitionKey } from '../../../plugins/cache/key.js';
import type { ChatCompletionRequest } from '../../../index.js';

const base: ChatCompletionRequest = { model: 'fast', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] };
const key = (request: Partial<ChatCompletionRequest>, scope = 'key:a', model = 'openai/gpt-4o') => exactKey({ scope, model, operation: 'chat', request: { ...base, ...request } as ChatCompletionRequest });

describe('exact key', () => {
  it.each<[string, Partial<ChatCompletionRequest>]>([
    ['max_tokens', { max_tokens: 10 }],
    ['logit_bias', { logit_bias: { 1: 2 } }],
    ['top_k (a provider extra)', { top_k: 5 }],
    ['temperature', { temperature: 0 }],
    ['tools', { tools: [{ type: 'function', function: { name: 'f' } }] }],
    ['response_format', { response_format: { type: 'json_object' } }],
    ['the system prompt', { messages: [{ role: 'system', content: 'Be long.' }, { role: 'user', content: 'hi' }] }],
    ['a field nobody named yet', { future: 1 }],
  ])('changes with %s', (_name, change) => {
    expect(key(change)).not.toBe(key({}));
  });

  it.each(FIELDS_OUTSIDE_THE_KEY.map((field) => [field]))('ignores %s', (field) => {
    expect(key({ [field]: { anything: true } })).toBe(key({}));
  });

  it('changes with the scope and the resolved model, not with the name the client used', () => {
    expect(key({}, 'key:b')).not.toBe(key({}));
    expect(key({}, 'key:a', 'openai/gpt-4o-mini')).not.toBe(key({}));
    expect(key({ model: 'alias' })).toBe(key({}));
  });

  it('ignores field order, nulls, and text written as parts', () => {
    const reordered = { messages: base.messages, model: 'fast', temperature: null } as Partial<ChatCompletionRequest>;
    expect(key(reordered)).toBe(key({}));
    expect(key({ messages: [base.messages[0]!, { role: 'user', content: [{ type: 'text', text: 'h' }, { type: 'text', text: 'i' }] }] })).toBe(key({}));
  });

  it('keys embeddings apart from chat', () => {
    expect(exactKey({ scope: 'global', model: 'm', operation: 'embeddings', request: { model: 'm', input: 'hi' } })).not.toBe(exactKey({ scope: 'global', model: 'm', operation: 'embeddings', request: { model: 'm', input: 'ho' } }));
  });
});

describe('semantic partition', () => {
  const partition = (request: Partial<ChatCompletionRequest>, scope = 'key:a') => partitionKey({ scope, model: 'm', operation: 'chat', request: { ...base, ...request } as ChatCompletionRequest });
  it('is the request without its last message', () => {
    expect(partition({ messages: [base.messages[0]!, { role: 'user', content: 'something else' }] })).toBe(partition({}));
    expect(partition({ messages: [{ role: 'system', content: 'Other.' }, { role: 'user', content: 'hi' }] })).not.toBe(partition({}));
    expect(partition({ tools: [] })).not.toBe(partition({}));
    expect(partition({}, 'key:b')).not.toBe(partition({}));
  });
});
