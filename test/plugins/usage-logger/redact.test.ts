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

  // A Luhn-valid number sent as a JSON number (Anthropic's tool_use input is an object) was
  // replaced bare, `"card":[REDACTED:card]`, and the logged body was no longer JSON.
  it('redacts a card sent as a JSON number in quotes, so the body stays JSON', () => {
    const body = JSON.stringify({ input: { card: 4111111111111111, note: 'paid "in full" \\ card 4111111111111111, thanks' }, ids: [4111111111111111] });
    const redacted = redact(body);
    expect(JSON.parse(redacted)).toEqual({ input: { card: '[REDACTED:card]', note: 'paid "in full" \\ card [REDACTED:card], thanks' }, ids: ['[REDACTED:card]'] });
    // An answer's text is not JSON: its card is redacted as it stands.
    expect(redact('card: 4111111111111111, thanks')).toBe('card: [REDACTED:card], thanks');
  });

  it('redacts every match of a text, and keeps what the checks keep between them', () => {
    const text = '{"created":1700000000,"a":"call +1 415 555 0100 or 415.555.0100","card":"4111 1111 1111 1111","order":"4111111111111112","mail":"ana@example.com, bo@example.org"}';
    expect(redact(text)).toBe(
      '{"created":1700000000,"a":"call [REDACTED:phone] or [REDACTED:phone]","card":"[REDACTED:card]","order":"4111111111111112","mail":"[REDACTED:email], [REDACTED:email]"}',
    );
  });

  it('rewrites a text as String.prototype.replace would, patterns that match nothing at all included', () => {
    const texts = ['', 'aaa', 'xay', 'ticket ACME-42, ACME-7 and ACME-', 'naïve ACME-1 😀 ACME-2'];
    for (const source of ['ACME-\\d+', 'a*', '(?:)', '\\b']) {
      const redactor = createRedactor([source]);
      const pattern = new RegExp(source, 'g');
      for (const text of texts) expect(redactor(text)).toBe(text.replace(pattern, '[REDACTED:custom_1]'));
    }
  });

  it('applies the config\'s own patterns after the built-in ones', () => {
    expect(createRedactor(['ACME-\\d+'])('ticket ACME-42 from ana@example.com')).toBe('ticket [REDACTED:custom_1] from [REDACTED:email]');
  });
});
