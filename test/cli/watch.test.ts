/**
 * `llm-gateway start --watch`: the real CLI reloads its edited config file (providers, models and
 * plugins) without dropping a request in flight, and refuses a broken file, keeping the running
 * config.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../support/cli.js';
import { startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

let dir: string;
let first: MockUpstream;
let second: MockUpstream;
let cli: RunningCli;
let file: string;

const config = (providers: Record<string, string>, plugins: unknown[] = []) =>
  JSON.stringify({
    store: 'memory',
    providers: Object.fromEntries(Object.entries(providers).map(([id, baseURL]) => [id, { type: 'openai-compatible', baseURL, listModels: false }])),
    plugins,
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llm-gateway-watch-'));
  first = await startMockUpstream();
  second = await startMockUpstream();
  file = join(dir, 'gateway.config.json');
  writeFileSync(file, config({ a: first.baseURL }));
  cli = await startCli(['--config', file, '--port', '0', '--watch']);
});
afterAll(async () => {
  await cli?.stop();
  await first?.close();
  await second?.close();
  rmSync(dir, { recursive: true, force: true });
});

const client = () => new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const providerOf = (model: string) =>
  client()
    .chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })
    .withResponse()
    .then((r) => r.response.headers.get('x-gateway-provider'), () => undefined);

describe('start --watch', () => {
  it('applies an edited file to new requests while a stream started before finishes on the old config', async () => {
    expect(await providerOf('a/m')).toBe('a');
    first.enqueue({ stream: { chunks: wordChunks('one two three four five six'), chunkDelayMs: 150 } });
    const stream = await client().chat.completions.create({ model: 'a/m', stream: true, messages: [{ role: 'user', content: 'x' }] });
    const reading = (async () => {
      let text = '';
      for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
      return text;
    })();

    writeFileSync(file, config({ a: first.baseURL, b: second.baseURL }, [['gateway:retry', { attempts: 1 }]]));
    await expect.poll(() => providerOf('b/m'), { timeout: 15_000, interval: 200 }).toBe('b');
    expect(await reading).toBe('one two three four five six');
    expect(cli.output()).toMatch(/config reloaded from .*gateway\.config\.json.*gateway:retry/);
  });

  it('refuses a broken file, says why, and keeps serving the running config', async () => {
    writeFileSync(file, '{ "providers": { "b": { "type": "no-such-type" } } }');
    await expect.poll(() => cli.output(), { timeout: 15_000, interval: 200 }).toMatch(/config reload refused, the running config stays: [\s\S]*"no-such-type"/);
    expect(await providerOf('b/m')).toBe('b');
    expect(await providerOf('a/m')).toBe('a');
  });
});
