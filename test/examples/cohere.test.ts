/**
 * The Cohere example config, loaded by the real CLI from examples/cohere.config.ts (which imports
 * the package by its npm name), in front of a Cohere-format mock, reached with the openai client.
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockCohere, type MockCohere } from '../../examples/plugin-provider-cohere/test/mock-cohere.js';
import { ROOT, runCli, startCli, type RunningCli } from '../support/cli.js';

const CONFIG = join(ROOT, 'examples', 'cohere.config.ts');
let mock: MockCohere;
let cli: RunningCli;

beforeAll(async () => {
  mock = await startMockCohere({ apiKey: 'co-example' });
  cli = await startCli(['--config', CONFIG, '--port', '0'], { env: { COHERE_API_KEY: 'co-example', COHERE_BASE_URL: mock.url } });
});
afterAll(async () => {
  await cli?.stop('SIGKILL');
  await mock?.close();
});

describe('examples/cohere.config.ts', () => {
  it('is accepted by check, which masks the key', () => {
    const result = runCli(['check', '--config', CONFIG], { env: { COHERE_API_KEY: 'co-secret-value' } });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/cohere\s+cohere\s+apiKey="\*\*\*/);
    expect(result.stdout).not.toContain('co-secret-value');
    expect(result.stdout).toContain('llm-gateway-plugin-provider-cohere');
  });

  it('says which variable is missing', () => {
    const result = runCli(['check', '--config', CONFIG]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('config/providers/cohere/apiKey reads environment variable COHERE_API_KEY, which is not set');
  });

  it('serves its virtual model from Cohere through the CLI', async () => {
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'command', messages: [{ role: 'user', content: 'hello cohere' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: hello cohere');
    expect(mock.requests.find((r) => r.path === '/v2/chat')?.body).toMatchObject({ model: 'command-a-03-2025' });
  });
});
