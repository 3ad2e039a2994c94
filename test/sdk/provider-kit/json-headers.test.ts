/** jsonHeaders: an upstream call's headers, later parts winning, the JSON content type and what is accepted back always set. */
import { describe, expect, it } from 'vitest';
import { jsonHeaders } from '../../../sdk/provider-kit/json-headers.js';

describe('jsonHeaders', () => {
  it('merges the parts in order, skips missing ones, and sets content-type and accept last', () => {
    const provider = { authorization: 'Bearer p', 'x-team': 'a', accept: 'text/plain' };
    const attempt = { 'x-request-id': 'r1', 'x-team': 'b' };
    expect(jsonHeaders(false, provider, undefined, attempt)).toEqual({ authorization: 'Bearer p', 'x-team': 'b', 'x-request-id': 'r1', 'content-type': 'application/json', accept: 'application/json' });
    expect(jsonHeaders(true, provider)).toMatchObject({ 'content-type': 'application/json', accept: 'text/event-stream' });
  });

  it('returns a new object each call and leaves the parts alone', () => {
    const provider = { authorization: 'Bearer p' };
    const first = jsonHeaders(false, provider);
    first['x-added'] = 'yes';
    expect(provider).toEqual({ authorization: 'Bearer p' });
    expect(jsonHeaders(false, provider)).not.toHaveProperty('x-added');
  });
});
