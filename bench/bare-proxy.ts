/**
 * The baseline: a bare Koa + undici proxy with no validation, routing, timeouts or error handling,
 * what the gateway costs on top of its own stack is measured against. Usage:
 * `bare-proxy.ts <origin> [<slow origin>]`; paths under `/slow/` go to the second origin (held streams).
 */
import Koa from 'koa';
import { Pool } from 'undici';

const upstream = new Pool(process.argv[2]!);
const slow = process.argv[3] ? new Pool(process.argv[3]) : upstream;
const app = new Koa();
app.use(async (ctx) => {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  const isSlow = ctx.path.startsWith('/slow/');
  const pool = isSlow ? slow : upstream;
  const response = await pool.request({ path: isSlow ? ctx.path.slice(5) : ctx.path, method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
  ctx.status = response.statusCode;
  ctx.type = String(response.headers['content-type'] ?? 'application/json');
  ctx.body = response.body;
});
const server = app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));
process.stdin.on('close', () => process.exit(0)).resume();
