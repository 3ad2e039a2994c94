/**
 * `npm run bench:large-requests`: what a coding agent's requests cost the gateway. An agent sends
 * its whole conversation every turn (hundreds of KB: earlier messages, files it read, its tools),
 * where `npm run bench` sends a sentence. This sends such conversations (60 messages of code and 20
 * tools, about 190 KB) through the full pipeline (bench/configs/full.json, its key created first)
 * from 8 clients and reports the gateway's CPU per request (all its threads: SQLite's too).
 *
 * Arguments: the model (default `mock/gpt-4o`, which the token counter tokenizes exactly;
 * `mock/mock-small` is estimated; `claude/<any>` is the config's Anthropic provider on the same
 * mock, so an Anthropic request goes up natively, as Claude Code's do), the number of requests
 * (default 1000), `anthropic` to send them to `/v1/messages` in Anthropic's format. BENCH_GATEWAY_ROOT=<checkout> runs another build's
 * dist/ (a before/after comparison, run one after the other on a quiet machine).
 * BENCH_CPU_PROF=<folder> runs the gateway under `node --cpu-prof`, its profile written there
 * (`npx tsx bench/profile.ts <folder>` summarises it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { cpuTimeMs, createBenchKey, gatewayEnv, killAll, runBenchmark, startGatewayProcess, startMockUpstreams, stopGracefully } from './processes.js';

const ROOT = join(import.meta.dirname, '..');
const CLIENTS = 8;

runBenchmark(async () => {
  const [model = 'mock/gpt-4o', count = '1000', format = 'openai'] = process.argv.slice(2);
  const requests = Number(count);
  const anthropic = format === 'anthropic';
  const upstreams = await startMockUpstreams();
  const cwd = mkdtempSync(join(tmpdir(), 'llm-gateway-large-'));
  const config = join(ROOT, 'bench', 'configs', 'full.json');
  const main = join(process.env.BENCH_GATEWAY_ROOT ?? ROOT, 'dist', 'cli', 'main.js');
  const env = gatewayEnv(upstreams);
  const key = createBenchKey({ main, config, cwd, env });
  const profileDir = process.env.BENCH_CPU_PROF;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const gateway = await startGatewayProcess({ name: 'full', main, config, cwd, env, nodeArgs });
  const pool = new Pool(gateway.origin, { connections: CLIENTS });
  const send = async (turn: number) => {
    const res = await pool.request({
      path: anthropic ? '/v1/messages' : '/v1/chat/completions',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'anthropic-version': '2023-06-01' },
      body: conversation(model, turn, turn % 2 === 0, anthropic),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
  };
  // Warm-up: the JIT, the tokenizer's tables, the usage log's statements.
  for (let turn = 0; turn < 50; turn++) await send(turn);
  const cpuBefore = cpuTimeMs(gateway.child.pid);
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (next < requests) await send(next++);
  }));
  const seconds = (performance.now() - started) / 1000;
  const cpuUs = ((cpuTimeMs(gateway.child.pid) - cpuBefore) * 1000) / requests;
  await pool.close();
  await stopGracefully(gateway.child);
  killAll();
  rmSync(cwd, { recursive: true, force: true });
  const size = conversation(model, 0, false, anthropic).length;
  process.stdout.write(`${requests} requests of ${(size / 1024).toFixed(0)} KB (${anthropic ? 'Anthropic' : 'OpenAI'} format, ${model}) from ${CLIENTS} clients: ${(requests / seconds).toFixed(0)} a second, ${cpuUs.toFixed(0)} µs of the gateway's CPU a request\n`);
  return 0;
}, (message) => process.stderr.write(`bench: ${message}\n`));

const FILE = 'export function add(a: number, b: number) {\n  return a + b; // "sum"\n}\n'.repeat(40);

/** An agent's request at one turn: the same history every time, then this turn's short message; streamed every other turn. */
function conversation(model: string, turn: number, stream: boolean, anthropic: boolean): string {
  const history = Array.from({ length: 60 }, (_, m) => ({ role: m % 2 ? 'assistant' : 'user', text: `Step ${m}: file ${m}\n${FILE}` }));
  const description = 'Reads a file from the working directory. '.repeat(8);
  if (anthropic) {
    return JSON.stringify({
      model, stream, max_tokens: 1024, system: 'You are a coding agent.',
      messages: [...history.map((m) => ({ role: m.role, content: [{ type: 'text', text: m.text }] })), { role: 'user', content: `next step ${turn}` }],
      tools: Array.from({ length: 20 }, (_, t) => ({ name: `tool_${t}`, description, input_schema: { type: 'object', properties: { path: { type: 'string' } } } })),
    });
  }
  return JSON.stringify({
    model, stream,
    messages: [{ role: 'system', content: 'You are a coding agent.' }, ...history.map((m) => ({ role: m.role, content: m.text })), { role: 'user', content: `next step ${turn}` }],
    tools: Array.from({ length: 20 }, (_, t) => ({ type: 'function', function: { name: `tool_${t}`, description, parameters: { type: 'object', properties: { path: { type: 'string' } } } } })),
  });
}
