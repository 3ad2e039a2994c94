/**
 * readJsonRequest over a real socket: a body that came whole with its headers is taken from the
 * request's buffer without listeners, one still arriving is read as it comes, and both give the
 * same body, the same refusals, and a request that ended (so the connection goes on to the next).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readJsonRequest } from '../../../core/http/read-json-body.js';

const LIMIT = 1024;
let server: Server;
let port: number;
/** What the handler saw of each request: 'data' listeners added while reading, and whether the request ended. */
const seen: Array<{ dataListeners: number; ended: boolean; outcome: unknown }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    void (async () => {
      // As the gateway does, the body is read as the request is handed over: Node's parser has
      // read the headers, and not yet the body that came with them.
      const watched = countDataListeners(req);
      let outcome: unknown;
      try {
        outcome = (await readJsonRequest(req, LIMIT)).body;
      } catch (error) {
        outcome = { code: (error as { code?: string }).code, status: (error as { status?: number }).status };
      }
      // Answered at once, as the gateway answers a refused body: before the parser is done with
      // the request whose body it was reading.
      res.end(JSON.stringify(outcome));
      await new Promise((resolve) => setImmediate(resolve));
      seen.push({ dataListeners: watched.count, ended: req.readableEnded, outcome });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function countDataListeners(req: IncomingMessage) {
  const watched = { count: 0 };
  const on = req.on.bind(req);
  req.on = ((event: string, listener: (...args: unknown[]) => void) => {
    if (event === 'data') watched.count++;
    return on(event, listener);
  }) as typeof req.on;
  return watched;
}

/** Sends raw HTTP/1.1 requests on one connection, each as the given pieces, and gives the answers' bodies. */
async function send(requests: Array<string[]>): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  socket.on('data', (bytes: Buffer) => void (received += bytes.toString('utf8')));
  const answers = () => received.split('HTTP/1.1 ').slice(1);
  for (const [index, pieces] of requests.entries()) {
    for (const piece of pieces) {
      socket.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (let waited = 0; answers().length <= index && waited < 2000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  socket.destroy();
  return answers().map((answer) => answer.slice(answer.indexOf('\r\n\r\n') + 4));
}

const head = (length: number) => `POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
const whole = (body: string) => [head(Buffer.byteLength(body)) + body];
const inTwo = (body: string) => [head(Buffer.byteLength(body)) + body.slice(0, 5), body.slice(5)];

it('takes a body that came whole without a listener, reads one still arriving as it comes, and gives the same body either way; the next request on the connection is read too', async () => {
  seen.length = 0;
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'héllo' }] });
  const answers = await send([whole(body), inTwo(body), whole(body)]);
  expect(answers.map((answer) => JSON.parse(answer) as unknown)).toEqual([JSON.parse(body), JSON.parse(body), JSON.parse(body)]);
  expect(seen.map((s) => s.dataListeners > 0)).toEqual([false, true, false]);
  expect(seen.every((s) => s.ended)).toBe(true);
});

it('refuses alike a body over the limit, an empty one and one that is not JSON, whole or arriving', async () => {
  seen.length = 0;
  const big = JSON.stringify({ text: 'x'.repeat(LIMIT) });
  await send([whole(big), inTwo(big)]);
  await send([whole(''), whole('{"a":'), inTwo('{"a": nope}')]);
  expect(seen.map((s) => s.outcome)).toEqual([
    { code: 'request_too_large', status: 413 },
    { code: 'request_too_large', status: 413 },
    { code: 'empty_body', status: 400 },
    { code: 'invalid_json', status: 400 },
    { code: 'invalid_json', status: 400 },
  ]);
});
