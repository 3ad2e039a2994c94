import { describe, expect, it } from 'vitest';
import { describeFound, formatIssues, mask, requestValidatorFor, validate, validatorFor } from '../../core/validation.js';

const schema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    level: { enum: ['low', 'high'] },
    size: { type: 'integer', minimum: 1, maximum: 10 },
    tags: { type: 'array', minItems: 1, items: { type: 'string' } },
    url: { type: 'string', pattern: '^https?://' },
    token: { type: 'string' },
  },
};

describe('validate', () => {
  it('returns no issues for a valid value', () => {
    expect(validate(schema, { name: 'x', level: 'low', size: 3, tags: ['a'], url: 'http://h' })).toEqual([]);
  });

  it.each([
    [{}, '/name', 'is required', undefined],
    [{ name: 5 }, '/name', 'must be a string', 5],
    [{ name: '' }, '/name', 'must not be empty', ''],
    [{ name: 'x', level: 'mid' }, '/level', 'must be one of: "low", "high"', 'mid'],
    [{ name: 'x', size: 0 }, '/size', 'must be >= 1', 0],
    [{ name: 'x', size: 11 }, '/size', 'must be <= 10', 11],
    [{ name: 'x', size: 1.5 }, '/size', 'must be an integer', 1.5],
    [{ name: 'x', tags: [] }, '/tags', 'must have at least 1 item', []],
    [{ name: 'x', url: 'ftp://h' }, '/url', 'must match ^https?://', 'ftp://h'],
    [{ name: 'x', extra: true }, '/extra', 'is not a known option', true],
  ])('describes %j', (value, path, message, found) => {
    expect(validate(schema, value)).toEqual([{ path, message, found }]);
  });

  it('masks values at secret paths', () => {
    const [issue] = validate({ type: 'object', properties: { token: { type: 'integer' } } }, { token: 'sk-abcdefghijkl' }, (path) => path === '/token');
    expect(issue?.found).toBe('***kl');
  });

  it('formats issues as lines with the prefix, the message and what was found', () => {
    expect(formatIssues('config', validate(schema, { name: 'x', size: 0, level: 'mid' }))).toBe(
      ['config/level must be one of: "low", "high" (found "mid")', 'config/size must be >= 1 (found 0)'].join('\n'),
    );
  });
});

describe('mask and describeFound', () => {
  it.each([
    ['sk-1234567890', '***90'],
    ['short', '***'],
    [42, '***'],
    [undefined, undefined],
  ])('mask(%j) = %j', (value, masked) => expect(mask(value)).toBe(masked));

  it('describes what was found, shortening long values', () => {
    expect(describeFound(undefined)).toBe('found nothing');
    expect(describeFound('x')).toBe('found "x"');
    expect(describeFound('y'.repeat(200))).toMatch(/^found "y{76}\.\.\.$/);
  });
});

// A client's body of many small wrong elements made an error object for each with `allErrors`
// (about 1.4 KB of heap for every 3 bytes sent: 0.6 MB of `tool_calls: [1,1,…]` took 2.3 s and
// 185 MB; 9 MB of `{}` in an Anthropic tool result ran the process out of memory). Request bodies
// are checked to their first problem; a config still hears every problem it has.
describe('requestValidatorFor', () => {
  const schema = { type: 'object', properties: { calls: { type: 'array', items: { type: 'object', required: ['id'] } } } };

  it('stops at the first problem of a body, however many it has', () => {
    const check = requestValidatorFor(schema);
    expect(check({ calls: Array.from({ length: 100_000 }, () => 1) })).toBe(false);
    expect(check.errors?.length).toBeLessThanOrEqual(2);
    expect(check.errors?.[0]?.instancePath).toBe('/calls/0');
  });

  it('leaves a config validator reporting every problem', () => {
    const check = validatorFor(schema);
    expect(check({ calls: [1, 2, 3] })).toBe(false);
    expect(check.errors?.length).toBe(3);
  });
});
