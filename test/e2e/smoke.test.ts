import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

describe('smoke: openai SDK → gateway → mock upstream', () => {
  let upstream: MockUpstream;
  let gw: RunningGateway;
  beforeAll(async () => {
    upstream = await startMockUpstream();
    gw = await startGateway({ providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-upstream' } } });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('answers a non-streaming request', async () => {
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused' });
    const res = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0]?.message.content).toBe('echo: hi');
  });

  it('streams', async () => {
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused' });
    const stream = await client.chat.completions.create({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'a b c' }] });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: a b c');
  });
});
