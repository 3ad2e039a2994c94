/**
 * The floor: the least work any accounting gateway must add to the bare proxy, written as plainly
 * as the bare proxy itself (Koa + undici, no validation, no error handling, no plugins). It answers
 * "how close to the bare proxy can a gateway that does this work get on this machine and this
 * stack", so that what the real gateway costs beyond it is what its own design adds.
 *
 * `floor-proxy.ts <origin> [<slow origin>] [--log <sqlite file>]`; paths under `/slow/` go to the
 * second origin (held streams). Per request it:
 * - parses the request body and reads the model it routes by, and sends the body on with the
 *   provider's model name (`mock/mock-small` → `mock-small`), asking a stream for its usage;
 * - JSON: reads the whole answer and parses it for its usage, then passes the upstream's own text on;
 * - streams: passes the upstream's bytes on as they come and parses only the event that carries
 *   the usage (a gateway must settle from it), found by a byte search; nothing else is decoded
 *   (a usage event split across two reads would be missed: a floor's shortcut, not a gateway's).
 * With `--log` (the floor of the full pipeline), it also hashes the bearer key and looks it up in
 * a map (auth), counts the key's requests and spend in memory (limits, budget), and writes one
 * usage row per request with both bodies into SQLite in the gateway's own schema and indexes
 * (WAL), batched every 50 ms in one transaction, 16 rows per INSERT, with the gateway's own
 * statement (`sqliteInsert`: the fields as JSON, the bodies bound apart). No tokenizer: a floor settles token limits from the upstream's usage.
 */
import { createHash } from 'node:crypto';
import Koa from 'koa';
import sqlite3 from 'sqlite3';
import { Pool } from 'undici';
import { USAGE_MIGRATIONS } from '../plugins/usage-logger/log/migrations.js';
import { sqliteInsert } from '../plugins/usage-logger/log/sqlite-usage-log.js';

const upstream = new Pool(process.argv[2]!);
const slow = process.argv[3] && !process.argv[3].startsWith('--') ? new Pool(process.argv[3]) : upstream;
const logIndex = process.argv.indexOf('--log');
const usageLog = logIndex > 0 ? await openLog(process.argv[logIndex + 1]!) : undefined;
const BODY_CAP = 16_384;

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

const app = new Koa();
app.use(async (ctx) => {
  const startedAt = Date.now();
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  const requestText = Buffer.concat(chunks).toString('utf8');
  const request = JSON.parse(requestText) as { model: string; stream?: boolean; stream_options?: object };
  const slash = request.model.indexOf('/');
  const provider = request.model.slice(0, slash);
  request.model = request.model.slice(slash + 1);
  if (request.stream) request.stream_options = { include_usage: true };
  const keyId = usageLog ? usageLog.authorize(String(ctx.get('authorization'))) : undefined;

  const isSlow = ctx.path.startsWith('/slow/');
  const pool = isSlow ? slow : upstream;
  const response = await pool.request({ path: isSlow ? ctx.path.slice(5) : ctx.path, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  ctx.status = response.statusCode;
  ctx.type = String(response.headers['content-type'] ?? 'application/json');
  const record = (usage: Usage | undefined, responseText: string) =>
    usageLog?.record({ startedAt, keyId, requested: `${provider}/${request.model}`, provider, model: request.model, status: response.statusCode, stream: request.stream === true, usage, requestText, responseText });

  if (!request.stream) {
    const text = await response.body.text();
    record((JSON.parse(text) as { usage?: Usage }).usage, text);
    ctx.body = text;
    return;
  }
  // Straight onto the client's socket, as the upstream's reads come: no stream stage in between
  // (a Transform costs a few µs a chunk, more than the search).
  ctx.respond = false;
  const res = ctx.res;
  res.writeHead(response.statusCode, { 'content-type': String(response.headers['content-type'] ?? 'text/event-stream') });
  let usage: Usage | undefined;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  const body = response.body;
  res.on('drain', () => body.resume());
  body.on('data', (chunk: Buffer) => {
    if (usageLog && keptBytes < BODY_CAP) {
      kept.push(chunk);
      keptBytes += chunk.length;
    }
    if (chunk.includes('"usage":{')) usage = usageIn(chunk.toString('utf8')) ?? usage;
    if (!res.write(chunk)) body.pause();
  });
  body.on('end', () => {
    record(usage, Buffer.concat(kept).toString('utf8').slice(0, BODY_CAP));
    res.end();
  });
});

/** The usage of the one event in `text` that carries it. */
function usageIn(text: string): Usage | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('data: {') && line.includes('"usage":{')) return (JSON.parse(line.slice(6)) as { usage?: Usage }).usage;
  }
  return undefined;
}

interface RecordInput {
  startedAt: number;
  keyId: string | undefined;
  requested: string;
  provider: string;
  model: string;
  status: number;
  stream: boolean;
  usage: Usage | undefined;
  requestText: string;
  responseText: string;
}

async function openLog(file: string) {
  const db = new sqlite3.Database(file);
  const exec = (sql: string) => new Promise<void>((resolve, reject) => db.exec(sql, (error) => (error ? reject(error) : resolve())));
  await exec('PRAGMA journal_mode = WAL');
  // As the usage log's writer does: SQLite's temporary data for each INSERT stays in memory.
  await exec('PRAGMA temp_store = MEMORY');
  for (const migration of USAGE_MIGRATIONS) for (const sql of migration.sqlite) await exec(sql);
  // The usage log's own statements (with bodies: every row has them here), prepared once each.
  const insertStatement = sqliteInsert('usage_records', 16);
  const prepared = new Map<string, sqlite3.Statement>();
  const run = (rows: unknown[][]) => {
    const { text, values } = insertStatement(rows);
    let statement = prepared.get(text);
    if (!statement) prepared.set(text, (statement = db.prepare(text)));
    return new Promise<void>((resolve, reject) => statement.run(values, (error: Error | null) => (error ? reject(error) : resolve())));
  };

  // The bench's key, as `llm-gateway keys create` stores it: by the hash of its secret.
  const keys = new Map<string, string>();
  const requests = new Map<string, number>();
  const spentMicros = new Map<string, number>();
  let pending: unknown[][] = [];
  let sequence = 0;
  let writing = false;
  setInterval(() => void flush(), 50).unref();

  async function flush(): Promise<void> {
    if (writing || pending.length === 0) return;
    writing = true;
    const rows = pending;
    pending = [];
    await exec('BEGIN');
    for (let start = 0; start < rows.length; start += 16) await run(rows.slice(start, start + 16));
    await exec('COMMIT');
    writing = false;
  }

  return {
    authorize(authorization: string): string {
      const hash = createHash('sha256').update(authorization.slice(7)).digest('hex');
      let id = keys.get(hash);
      if (id === undefined) keys.set(hash, (id = `key-${keys.size + 1}`));
      const minute = `${id}:${Math.floor(Date.now() / 60_000)}`;
      requests.set(minute, (requests.get(minute) ?? 0) + 1);
      return id;
    },
    record(r: RecordInput): void {
      const prompt = r.usage?.prompt_tokens ?? 0;
      const completion = r.usage?.completion_tokens ?? 0;
      const costUsd = (prompt * 0.15 + completion * 0.6) / 1e6;
      if (r.keyId) spentMicros.set(r.keyId, (spentMicros.get(r.keyId) ?? 0) + Math.round(costUsd * 1e6));
      const attempts = JSON.stringify([{ provider: r.provider, model: r.model, status: r.status, latencyMs: Date.now() - r.startedAt }]);
      // In USAGE_COLUMNS order (test/bench/floor-proxy.test.ts writes one of each kind).
      pending.push([
        `floor-${process.pid}-${++sequence}`, r.startedAt, 'chat.completions', r.keyId ?? null, null, r.requested, r.provider, r.model,
        r.status, r.status < 400 ? 'ok' : 'error', attempts, prompt, completion, 0, 0, 0, 0, costUsd, Date.now() - r.startedAt, null,
        'none', r.stream ? 1 : 0, null, r.requestText.slice(0, BODY_CAP), r.responseText.slice(0, BODY_CAP), null, null, 0,
      ]);
    },
  };
}

const server = app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));
process.stdin.on('close', () => process.exit(0)).resume();
// Exits rather than dies, so that `--cpu-prof` writes its profile (bench --profile).
process.on('SIGTERM', () => process.exit(0));
