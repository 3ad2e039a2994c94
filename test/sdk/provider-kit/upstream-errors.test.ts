import { afterEach, describe, expect, it, vi } from 'vitest';
import { readErrorBody, retryAfterSeconds, upstreamHttpError } from '../../../sdk/provider-kit/upstream-errors.js';

describe('readErrorBody', () => {
  it.each([
    ['{"error":{"message":"m","type":"t","code":"c","param":"p"}}', { message: 'm', type: 't', code: 'c', param: 'p' }],
    ['{"error":{"message":"m","code":429}}', { message: 'm', code: '429' }],
    ['{"error":"plain message"}', { message: 'plain message' }],
    ['{"message":"top-level"}', { message: 'top-level' }],
    ['{"detail":"fastapi style"}', { message: 'fastapi style' }],
    ['<html>502</html>', {}],
    ['', {}],
    ['null', {}],
  ])('%s', (text, detail) => expect(readErrorBody(text)).toEqual(detail));
});

describe('retryAfterSeconds', () => {
  afterEach(() => void vi.useRealTimers());

  it.each([
    [{ 'retry-after': '7' }, 7],
    [{ 'retry-after': '1.5' }, 1.5],
    [{ 'retry-after-ms': '250' }, 0.25],
    [{ 'retry-after-ms': '250', 'retry-after': '9' }, 0.25],
    [{ 'retry-after': 'soon' }, undefined],
    [{}, undefined],
  ])('%j → %s', (headers, seconds) => expect(retryAfterSeconds(headers)).toBe(seconds));

  it('reads an HTTP date', () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    expect(retryAfterSeconds({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' })).toBe(30);
  });
});

describe('upstreamHttpError', () => {
  it.each([
    [400, 'invalid_request', 'invalid_request_error', false],
    [404, 'not_found', 'not_found_error', false],
    [418, 'invalid_request', 'invalid_request_error', false],
    [429, 'rate_limited', 'rate_limit_error', true],
    [500, 'upstream', 'upstream_error', true],
    [529, 'upstream', 'upstream_error', true],
  ])('%i → kind %s, type %s, retryable %s', (status, kind, type, retryable) => {
    const error = upstreamHttpError('acme', status, {}, 'nope');
    expect(error).toMatchObject({ kind, status, type, retryable, provider: 'acme', message: 'acme: nope' });
  });

  it.each([401, 403])("%i (the gateway's own provider key refused) → a 502 provider_auth_failed that does not quote the upstream", (status) => {
    const error = upstreamHttpError('acme', status, {}, '{"error":{"message":"Incorrect API key provided: sk-abc*****xyz"}}');
    expect(error).toMatchObject({ kind: 'upstream', status: 502, code: 'provider_auth_failed', provider: 'acme', retryable: true });
    expect(error.message).not.toContain('sk-abc');
    expect(String((error.cause as Error).message)).toContain('sk-abc*****xyz');
  });

  it("keeps the upstream's own type, code and param, and its Retry-After", () => {
    const error = upstreamHttpError('acme', 429, { 'retry-after': '3' }, '{"error":{"message":"slow","type":"tokens","code":"rate_limit_exceeded","param":null}}');
    expect(error).toMatchObject({ message: 'acme: slow', type: 'tokens', code: 'rate_limit_exceeded', param: null, retryAfterSeconds: 3 });
  });

  it('falls back to the status when the body says nothing', () => {
    expect(upstreamHttpError('acme', 503, {}, '').message).toBe('acme: HTTP 503');
    expect(upstreamHttpError('acme', 502, {}, 'x'.repeat(400)).message).toHaveLength('acme: '.length + 301);
  });
});
