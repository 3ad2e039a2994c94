/**
 * The baseline: a bare Koa + undici proxy (about 20 lines) with no validation, routing, timeouts or
 * error handling. What the gateway costs on top of its own stack is measured against this.
 */
import Koa from 'koa';
import { Pool } from 'undici';

const upstream = new Pool(process.argv[2]!);
const app = new Koa();
app.use(async (ctx) => {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  const response = await upstream.request({ path: ctx.path, method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
  ctx.status = response.statusCode;
  ctx.type = String(response.headers['content-type'] ?? 'application/json');
  ctx.body = response.body;
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
