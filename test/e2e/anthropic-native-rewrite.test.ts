/**
 * Native pass-through must never bypass a plugin: once a plugin rewrites the prompt, an Anthropic
 * upstream gets the translation of the rewrite, not the client's original.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { definePlugin } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

const redactor = definePlugin({
  name: 'test:redactor',
  setup: () => ({
    async middleware(ctx, next) {
      const last = ctx.request.messages.at(-1);
      if (last && typeof last.content === 'string' && last.content.includes('secret')) {
        ctx.request.messages[ctx.request.messages.length - 1] = { ...last, content: last.content.replaceAll('secret', '[redacted]') };
      }
      await next();
    },
  }),
});

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { claude: { type: 'anthropic', apiKey: 'k', baseURL: upstream.baseURL, listModels: false } },
    plugins: [redactor()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

it('sends the original when no plugin changed it, and the rewrite when one did', async () => {
  const client = new Anthropic({ baseURL: gw.url, apiKey: 'x', maxRetries: 0 });
  await client.messages.create({ model: 'claude/claude-test', max_tokens: 9, metadata: { user_id: 'u' }, messages: [{ role: 'user', content: 'hello' }] });
  expect(upstream.requests.at(-1)?.body).toEqual({ model: 'claude-test', max_tokens: 9, metadata: { user_id: 'u' }, messages: [{ role: 'user', content: 'hello' }] });

  const answer = await client.messages.create({ model: 'claude/claude-test', max_tokens: 9, messages: [{ role: 'user', content: 'my secret' }] });
  expect(upstream.requests.at(-1)?.body?.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'my [redacted]' }] }]);
  expect(answer.content).toEqual([{ type: 'text', text: 'echo: my [redacted]' }]);
});
