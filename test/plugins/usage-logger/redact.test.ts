/** What the usage log's redaction takes out of a body, and what it must leave: numbers that are data. */
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../plugins/usage-logger/redact.js';

const redact = createRedactor();

describe('redaction of stored bodies', () => {
  it.each([
    ['+1 415 555 0100', 'phone'],
    ['(415) 555-0100', 'phone'],
    ['415.555.0100', 'phone'],
    ['415 555 0100', 'phone'],
    ['+33612345678', 'phone'],
    ['4111 1111 1111 1111', 'card'],
    ['4111111111111111', 'card'],
    ['ana@example.com', 'email'],
    ['sk-proj-abcdefghijklmnopqrstuv', 'api_key'],
    ['Bearer abcdefgh12345678', 'bearer'],
  ])('redacts %s as %s', (secret, kind) => {
    expect(redact(`before ${secret} after`)).toBe(`before [REDACTED:${kind}] after`);
  });

  it('leaves the numbers of a JSON answer alone: a timestamp, token counts, a bare run of digits', () => {
    const answer = JSON.stringify({ id: 'chatcmpl-1', created: 1700000000, usage: { prompt_tokens: 12345678, completion_tokens: 2, total_tokens: 12345680 }, seed: 4155550100 });
    expect(redact(answer)).toBe(answer);
  });

  it('leaves a run of digits that fails the card check alone', () => {
    expect(redact('order 4111111111111112')).toBe('order 4111111111111112');
  });

  it('applies the config\'s own patterns after the built-in ones', () => {
    expect(createRedactor(['ACME-\\d+'])('ticket ACME-42 from ana@example.com')).toBe('ticket [REDACTED:custom_1] from [REDACTED:email]');
  });
});
