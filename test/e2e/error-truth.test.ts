/**
 * Errors tell the client the truth and leak nothing: an adapter's internal failure is a 502 whose
 * message names no host or credential (the log has the details, passwords masked); the provider
 * refusing the gateway's own key is a 502 `provider_auth_failed`, never the client's 401; a URL's
 * password is masked wherever the gateway prints it.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { openStore } from '../../core/store/store.js';
import { createGateway, definePlugin } from '../../index.js';
import { defineProviderType } from '../../sdk/provider-kit.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const SECRET = 'hunter2-do-not-print';
const logLines: string[] = [];
let upstream: MockUpstream;
let gw: RunningGateway;

const broken = definePlugin({
  name: 'test:broken-provider',
  providerTypes: [
    defineProviderType({
      type: 'broken',
      schema: { type: 'object' },
      create: (_options, { id }) => ({
        id,
        type: 'broken',
        chatCompletions: async () => {
          throw new Error(`connect ECONNREFUSED postgres://admin:${SECRET}@10.9.8.7:5432/internal`);
        },
      }),
    }),
  ],
});

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway(
    {
      providers: {
        broken: { type: 'broken', models: ['m'] },
        oai: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
        claude: { type: 'anthropic', apiKey: 'sk-ant-gateway', baseURL: upstream.baseURL, listModels: false },
      },
      plugins: [broken()],
    },
    { logger: createLogger({ level: 'warn', write: (line) => logLines.push(line) }) },
  );
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const post = (path: string, body: unknown) => fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('internal errors', () => {
  it("an adapter's raw error is logged (password masked), never sent", async () => {
    const res = await post('/v1/chat/completions', { model: 'broken/m', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('10.9.8.7');
    expect(JSON.parse(text).error).toMatchObject({ provider: 'broken', code: 'provider_error' });
    const logged = logLines.join('\n');
    expect(logged).toContain('10.9.8.7');
    expect(logged).toContain('admin:***@');
    expect(logged).not.toContain(SECRET);
  });
});

describe("the provider refuses the gateway's own key", () => {
  const refused = { error: { message: 'Incorrect API key provided: sk-gw-12****cdef', type: 'invalid_request_error', code: 'invalid_api_key' } };

  it('OpenAI client: a 502 provider_auth_failed, not an AuthenticationError', async () => {
    upstream.enqueue({ status: 401, body: refused });
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
    const error = (await client.chat.completions.create({ model: 'oai/mock-small', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).not.toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error.status).toBe(502);
    expect(error.code).toBe('provider_auth_failed');
    expect(JSON.stringify(error.error)).not.toContain('sk-gw-12');
  });

  it('Anthropic client on /v1/messages: a 502 in its format', async () => {
    upstream.enqueue({ status: 403, body: { type: 'error', error: { type: 'permission_error', message: 'key sk-ant-gateway lacks access' } } });
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
    const error = (await client.messages.create({ model: 'claude/claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error).not.toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(error.status).toBe(502);
    expect(error.error).toMatchObject({ type: 'error', error: { type: 'api_error', code: 'provider_auth_failed' } });
    expect(JSON.stringify(error.error)).not.toContain('sk-ant-gateway');
  });
});

describe('URLs with passwords', () => {
  it('a bad store URL is refused without its password', async () => {
    const error = (await createGateway({ store: `postgres://admin:${SECRET}@db:5432/gw` }).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('postgres://admin:***@db');
    expect(error.message).not.toContain(SECRET);
    const direct = (await openStore(`mysql://admin:${SECRET}@db/gw`, createLogger({ level: 'silent' })).catch((e: unknown) => e)) as Error;
    expect(direct.message).toContain('mysql://admin:***@db');
    expect(direct.message).not.toContain(SECRET);
  });

  it('the logger masks any URL password, in the message or a field', () => {
    const lines: string[] = [];
    for (const format of ['text', 'json'] as const) {
      const logger = createLogger({ format, write: (line) => lines.push(line) });
      logger.warn(`could not reach redis://:${SECRET}@cache:6379`, { url: `postgres://u:${SECRET}@db/x`, error: new Error(`at rediss://default:${SECRET}@host`) });
    }
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(lines.join('\n')).toContain('redis://:***@cache');
  });
});
