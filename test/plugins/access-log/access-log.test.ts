/**
 * gateway:access-log with the config's `logging.format: json`: one line per request on stderr,
 * parsed as JSON, with the key's name (never its secret), the models, status, tokens, cost,
 * latency, time to first byte, tries and fallback.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { accessLog, auth, cost, createGateway, retry, type Gateway } from '../../../index.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

const ADMIN = 'admin-key-for-access-log-tests';

let primary: MockUpstream;
let secondary: MockUpstream;
let gateway: Gateway;
let baseURL: string;
let secret: string;
const lines: string[] = [];

beforeAll(async () => {
  primary = await startMockUpstream();
  secondary = await startMockUpstream();
  // The gateway's own logger, as the config describes it, writes to stderr: read what it writes.
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.includes('"scope":"gateway:access-log"') || text.includes('[gateway:access-log]')) {
      lines.push(text);
      return true;
    }
    return write(chunk, ...(rest as []));
  });
  gateway = await createGateway({
    store: 'memory',
    server: { port: 0 },
    logging: { format: 'json', level: 'info' },
    providers: { primary: mockProvider(primary), secondary: mockProvider(secondary) },
    models: { stack: { targets: ['primary/mock-small', 'secondary/mock-large'] } },
    plugins: [auth({ adminKey: ADMIN }), retry({ attempts: 1 }), cost({ prices: { 'secondary/mock-large': { input: 1, output: 2 } } }), accessLog()],
  });
  const { url } = await gateway.listen();
  baseURL = `${url}/v1`;
  const res = await fetch(`${url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ci-runner', team: 'platform' }) });
  secret = ((await res.json()) as { secret: string }).secret;
});

afterAll(async () => {
  await gateway?.close();
  vi.restoreAllMocks();
  await primary?.close();
  await secondary?.close();
});

const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
const lineFor = async (requestId: string) => {
  await vi.waitFor(() => expect(parsed().some((l) => l.requestId === requestId)).toBe(true));
  return parsed().find((l) => l.requestId === requestId)!;
};

describe('gateway:access-log', () => {
  it('writes one JSON line for a request that fell back, with what happened and no secret', async () => {
    primary.enqueue({ status: 500, body: { error: { message: 'down' } } });
    const client = new OpenAI({ baseURL, apiKey: secret, maxRetries: 0 });
    const { data } = await client.chat.completions.create({ model: 'stack', messages: [{ role: 'user', content: 'hello there' }] }, { headers: { 'x-request-id': 'log-fallback' } }).withResponse();
    const line = await lineFor('log-fallback');
    expect(line).toMatchObject({
      level: 'info',
      scope: 'gateway:access-log',
      message: 'POST /v1/chat/completions 200',
      requestId: 'log-fallback',
      method: 'POST',
      path: '/v1/chat/completions',
      frontEnd: 'chat.completions',
      key: 'ci-runner',
      team: 'platform',
      requestedModel: 'stack',
      provider: 'secondary',
      model: 'mock-large',
      status: 200,
      outcome: 'ok',
      stream: false,
      promptTokens: data.usage!.prompt_tokens,
      completionTokens: data.usage!.completion_tokens,
      tokensEstimated: false,
      attempts: 2,
      fallback: true,
      cache: null,
      errorCode: null,
    });
    expect(line.costUsd).toBeCloseTo((data.usage!.prompt_tokens * 1 + data.usage!.completion_tokens * 2) / 1e6, 12);
    expect(line.latencyMs).toEqual(expect.any(Number));
    expect(line.ttftMs).toEqual(expect.any(Number));
    expect(new Date(line.time as string).getTime()).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes('log-fallback'))).toHaveLength(1);
    expect(lines.join('\n')).not.toContain(secret);
  });

  it('logs a refused request and a streamed one, with its time to first byte', async () => {
    const stranger = new OpenAI({ baseURL, apiKey: 'not-a-key', maxRetries: 0 });
    await expect(stranger.chat.completions.create({ model: 'stack', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-request-id': 'log-401' } })).rejects.toThrow();
    expect(await lineFor('log-401')).toMatchObject({ message: 'POST /v1/chat/completions 401', status: 401, outcome: 'error', key: null, path: '/v1/chat/completions', frontEnd: 'chat.completions' });
    await new OpenAI({ baseURL, apiKey: secret, maxRetries: 0 }).models.list({ headers: { 'x-request-id': 'log-models' } });
    const client = new OpenAI({ baseURL, apiKey: secret, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'nowhere/model', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-request-id': 'log-404' } })).rejects.toThrow();
    expect(await lineFor('log-404')).toMatchObject({ status: 404, outcome: 'error', key: 'ci-runner', provider: null, errorCode: expect.any(String), costUsd: 0 });

    const stream = await client.chat.completions.create({ model: 'secondary/mock-large', stream: true, messages: [{ role: 'user', content: 'a few words' }] }, { headers: { 'x-request-id': 'log-stream' } });
    for await (const _chunk of stream) void _chunk;
    const line = await lineFor('log-stream');
    expect(line).toMatchObject({ stream: true, status: 200, outcome: 'ok', provider: 'secondary', attempts: 1, fallback: false });
    expect(line.ttftMs as number).toBeLessThanOrEqual(line.latencyMs as number);
    // A route that answered well is not logged by default (health probes would drown the rest).
    expect(parsed().some((l) => l.requestId === 'log-models')).toBe(false);
    expect(lines.join('\n')).not.toContain('not-a-key');
  });
});
