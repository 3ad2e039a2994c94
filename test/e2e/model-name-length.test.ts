/**
 * A client's model name is remembered (a `provider/model`'s targets, a deployment's health) and
 * echoed in errors, and globs are matched against it. Before its fix its length was bounded only by
 * the string limit (8 MiB): a client's names of megabytes each were kept a thousand at a time, and
 * a 404 echoed the whole name (a review of one request's cost found it). A name over 1,024
 * characters is now a 400 in each API's format, short, and remembered nowhere.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { mock: mockProvider(upstream) } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('a model name over 1,024 characters', () => {
  const long = `mock/${'x'.repeat(100_000)}`;

  it('is a short 400 for an OpenAI client, and the upstream is not called', async () => {
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'k', maxRetries: 0 });
    const error = (await client.chat.completions.create({ model: long, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(400);
    expect(error.code).toBe('model_name_too_long');
    expect(error.message.length).toBeLessThan(300);
    expect(upstream.requests).toHaveLength(0);
  });

  it('is a 400 in Anthropic\u2019s format for an Anthropic client', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    const error = (await client.messages.create({ model: long, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error.status).toBe(400);
    expect((error.error as { type: string; error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('leaves a name of 1,024 characters served', async () => {
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'k', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: `mock/${'m'.repeat(1024 - 5)}`, messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: hi');
  });
});
