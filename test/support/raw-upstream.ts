/**
 * An upstream that answers however a test's handler says, over a real socket: for a provider that
 * misbehaves at the HTTP level (redirects, odd headers, bodies without end).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

export interface RawUpstream {
  baseURL: string;
  url: string;
  handler: Handler;
  requests: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders }>;
  server: http.Server;
  close(): Promise<void>;
}

export async function startRawUpstream(handler: Handler = (_q, s) => s.end()): Promise<RawUpstream> {
  const up = { handler, requests: [] } as unknown as RawUpstream;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      up.requests.push({ method: req.method, url: req.url, headers: req.headers });
      up.handler(req, res, Buffer.concat(parts).toString());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  up.server = server;
  up.url = `http://127.0.0.1:${port}`;
  up.baseURL = `${up.url}/v1`;
  up.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return up;
}

export const completionBody = (content = 'hi') => ({
  id: 'c1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

export const chat = (baseURL: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  fetch(`${baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }) });
