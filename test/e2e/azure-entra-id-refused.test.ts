/**
 * Microsoft Entra ID when no token comes: the identity endpoint refuses, or never answers. The
 * client gets a clear 502 in OpenAI's format, nothing goes upstream, a virtual model falls back, and
 * the identity endpoint's own words stay in the gateway's log. In a file of its own: MSAL keeps
 * what it read of the environment for the life of the process (test/support/identity-endpoint.ts).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { retry } from '../../index.js';
import { createLogger } from '../../core/logger.js';
import { entraIdTokens } from '../../plugins/azure/entra-id.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startIdentityEndpoint, withIdentityEnvironment, type IdentityEndpoint } from '../support/identity-endpoint.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let spare: MockUpstream;
let identity: IdentityEndpoint;
let gw: RunningGateway;
let client: OpenAI;
let restoreEnvironment: () => void;
const lines: string[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
  spare = await startMockUpstream();
  identity = await startIdentityEndpoint();
  restoreEnvironment = withIdentityEnvironment(identity);
  gw = await startGateway(
    {
      providers: {
        keyless: { type: 'azure-openai', endpoint: `http://127.0.0.1:${upstream.port}`, entraId: true, apiVersion: 'v1' },
        spare: { type: 'openai-compatible', baseURL: spare.baseURL, listModels: false },
      },
      models: { resilient: { targets: ['keyless/gpt-4o', 'spare/gpt-4o'] } },
      plugins: [retry({ attempts: 1 })],
    },
    { logger: createLogger({ level: 'warn', format: 'json', write: (line) => lines.push(line) }) },
  );
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([upstream?.close(), spare?.close(), identity?.close()]);
  restoreEnvironment?.();
});
beforeEach(() => {
  upstream.reset();
  spare.reset();
  identity.failWith = 400;
});

describe('Microsoft Entra ID refusing a token', () => {
  it("answers 502 upstream_auth_failed, sends nothing upstream, and keeps the identity endpoint's words in the log", async () => {
    for (let i = 0; i < 3; i++) {
      const error = (await client.chat.completions.create({ model: 'keyless/gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error.status).toBe(502);
      expect(error.code).toBe('upstream_auth_failed');
      expect(error.message).toContain('Microsoft Entra ID token');
      // What the machine's identity sources are is the operator's to read, not the client's.
      expect(error.message).not.toContain('Managed Identity');
    }
    expect(upstream.requests).toHaveLength(0);
    const warnings = lines.filter((line) => line.includes('no Microsoft Entra ID token'));
    // One cause, twice within a minute: logged once. Before its fix each failure was logged when its
    // reason differed from the last, and every reason differs (the endpoint's correlation id).
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Unable to load the proper Managed Identity.');
    expect(warnings[0]).toContain('"provider":"keyless"');
  });

  it('falls back to the next target of a virtual model', async () => {
    const answer = await client.chat.completions.create({ model: 'resilient', messages: [{ role: 'user', content: 'still here' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: still here');
    expect(upstream.requests).toHaveLength(0);
    expect(spare.requests).toHaveLength(1);
  });

  it('gives up on an identity endpoint that never answers, within its deadline', async () => {
    identity.failWith = 'never';
    const logged: string[] = [];
    // A scope no other case asked for, so no token is kept for it.
    const token = entraIdTokens('keyless', 'https://cognitiveservices.azure.cn/.default', createLogger({ level: 'warn', format: 'json', write: (line) => logged.push(line) }), 300);
    const started = Date.now();
    const error = (await token().catch((e: unknown) => e)) as { code?: string; retryable?: boolean };
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ code: 'upstream_auth_failed', retryable: true });
    expect(logged.join('\n')).toContain('no token within 300 ms');
  });
});
