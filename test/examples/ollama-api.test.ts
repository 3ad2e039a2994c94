/**
 * The Ollama API example config, loaded by the real CLI from examples/ollama-api.config.ts (which
 * imports the package by its npm name), answering an Ollama client's requests with the demo
 * provider when the environment configures none.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, startCli, type RunningCli } from '../support/cli.js';

const CONFIG = join(ROOT, 'examples', 'ollama-api.config.ts');
let cli: RunningCli;

beforeAll(async () => {
  cli = await startCli(['--config', CONFIG, '--port', '0']);
});
afterAll(async () => {
  await cli?.stop('SIGKILL');
});

describe('examples/ollama-api.config.ts', () => {
  it('is accepted by check', () => {
    const result = runCli(['check', '--config', CONFIG]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('llm-gateway-plugin-ollama-api');
  });

  it("lists the demo's model and streams its answer as Ollama's newline-delimited JSON", async () => {
    const tags = (await (await fetch(`${cli.url}/api/tags`)).json()) as { models: Array<{ name: string }> };
    expect(tags.models.map((m) => m.name)).toContain('demo/echo');

    const res = await fetch(`${cli.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'demo/echo', messages: [{ role: 'user', content: 'hello ollama' }] }) });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await res.text()).trim().split('\n').map((line) => JSON.parse(line) as { message: { content: string }; done: boolean });
    expect(lines.map((line) => line.message.content).join('')).toContain('You said: "hello ollama"');
    expect(lines.at(-1)?.done).toBe(true);
  });
});
