/**
 * The observability benchmark's trace collector: accepts OTLP/HTTP exports on `/v1/traces`,
 * counts the spans (parsing each export, as a collector would) and answers 200. Prints
 * `{"port":N}`; `GET /count` answers the spans received so far. Exits with its parent.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let spans = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') return void res.end(JSON.stringify({ spans }));
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }> };
      for (const r of body.resourceSpans ?? []) for (const s of r.scopeSpans ?? []) spans += s.spans?.length ?? 0;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } catch {
      res.writeHead(400).end();
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.stdin.on('close', () => process.exit(0)).resume();
