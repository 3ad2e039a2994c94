/**
 * A Cohere-format upstream over a real socket, for the `cohere` provider's end-to-end tests (what
 * `startMockGemini` is for Gemini). It speaks the wire format of https://docs.cohere.com/reference/chat,
 * https://docs.cohere.com/reference/chat-stream and https://docs.cohere.com/reference/embed:
 *
 * - `POST /v2/chat` answers "echo: <last user text>"; with `stream: true` the same answer as
 *   server-sent events (`event: <type>` and `data: <json>`): message-start, content-start, one
 *   content-delta per word, content-end, message-end with the finish reason and usage.
 * - With tools and a last user text "call <tool>" ("call both": the first two tools) it calls
 *   them instead, with a tool plan first, as Cohere does: `tool_plan` and `tool_calls` in a whole
 *   answer; tool-plan-delta, then tool-call-start / tool-call-delta (the arguments in two pieces) /
 *   tool-call-end per call in a stream. Arguments are `{"city":"Paris"}`.
 * - After tool results (a conversation ending in `tool` messages) it answers
 *   "tool said: <content>; <content>".
 * - `POST /v2/embed` answers `[length of the text, 1, 0]` per text; `GET /v1/models` lists `models`.
 * - With `apiKey` set, a request without `Authorization: Bearer <apiKey>` gets Cohere's 401.
 *
 * Every request is recorded (method, path, headers, parsed body). Tests queue raw scenarios for the
 * next chat calls: `{status, headers, body}` or `{events, cutAfter}` (objects become
 * `event:`/`data:` pairs, strings are written verbatim; `cutAfter` destroys the socket then).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface CohereScenario {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON value, or a string sent as it is. */
  body?: unknown;
  /** Stream these events instead: objects as `event: <type>\ndata: <json>\n\n`, strings verbatim. */
  events?: ReadonlyArray<Record<string, unknown> | string>;
  /** Destroy the connection after this many events: a stream cut mid-way. */
  cutAfter?: number;
}

export interface RecordedCohereRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
}

export interface MockCohere {
  /** `http://127.0.0.1:<port>`: a `cohere` provider's `baseURL`. */
  readonly url: string;
  readonly requests: RecordedCohereRequest[];
  /** What `GET /v1/models` lists. */
  models: Array<{ name: string; endpoints: string[] }>;
  enqueue(...scenarios: CohereScenario[]): void;
  reset(): void;
  close(): Promise<void>;
}

interface CohereMessage {
  role: string;
  content?: string | Array<{ type: string; text?: string }>;
  tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
}

export async function startMockCohere(options: { apiKey?: string } = {}): Promise<MockCohere> {
  const queue: CohereScenario[] = [];
  const requests: RecordedCohereRequest[] = [];
  const sockets = new Set<Socket>();
  const state = {
    models: [
      { name: 'command-a-03-2025', endpoints: ['generate', 'chat', 'summarize'] },
      { name: 'embed-v4.0', endpoints: ['embed'] },
      { name: 'rerank-v3.5', endpoints: ['rerank'] },
    ],
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> | undefined;
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body });
      void handle(req, res, body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown> | undefined): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://mock').pathname;
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(res, 401, { id: 'err-401', message: 'invalid api token' });
    }
    if (req.method === 'GET' && path === '/v1/models') return sendJson(res, 200, { models: state.models });
    if (req.method === 'POST' && path === '/v2/embed') {
      const texts = Array.isArray(body?.texts) ? (body.texts as string[]) : [];
      return sendJson(res, 200, {
        id: 'embed-1',
        embeddings: { float: texts.map((t) => [t.length, 1, 0]) },
        texts,
        meta: { api_version: { version: '2' }, billed_units: { input_tokens: texts.join(' ').split(/\s+/).length } },
        response_type: 'embeddings_by_type',
      });
    }
    if (req.method !== 'POST' || path !== '/v2/chat') return sendJson(res, 404, { message: `mock: no route ${req.method} ${path}` });
    await play(res, queue.shift() ?? echo(body));
  }

  async function play(res: ServerResponse, scenario: CohereScenario): Promise<void> {
    if (!scenario.events) {
      const raw = typeof scenario.body === 'string';
      res.writeHead(scenario.status ?? 200, { 'content-type': raw ? 'text/plain' : 'application/json', ...scenario.headers });
      res.end(raw ? (scenario.body as string) : JSON.stringify(scenario.body ?? {}));
      return;
    }
    res.writeHead(scenario.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...scenario.headers });
    res.flushHeaders();
    for (const [index, event] of scenario.events.entries()) {
      if (scenario.cutAfter !== undefined && index >= scenario.cutAfter) {
        res.socket?.destroy();
        return;
      }
      if (res.destroyed) return;
      const text = typeof event === 'string' ? event : `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
      // Each event is flushed before the next, so a cut falls between two events.
      await new Promise<void>((resolve) => res.write(text, () => resolve()));
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get models() {
      return state.models;
    },
    set models(value) {
      state.models = value;
    },
    enqueue: (...scenarios) => void queue.push(...scenarios),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---- The echo ------------------------------------------------------------------------------------

const usage = (input: number, output: number) => ({ billed_units: { input_tokens: input, output_tokens: output }, tokens: { input_tokens: input + 100, output_tokens: output + 2 } });

function echo(body: Record<string, unknown> | undefined): CohereScenario {
  const messages = Array.isArray(body?.messages) ? (body.messages as CohereMessage[]) : [];
  const tools = Array.isArray(body?.tools) ? (body.tools as Array<{ function: { name: string } }>).map((t) => t.function.name) : [];
  const trailingResults: string[] = [];
  for (let i = messages.length - 1; i >= 0 && messages[i]?.role === 'tool'; i--) trailingResults.unshift(textOf(messages[i]?.content));
  const lastUser = textOf([...messages].reverse().find((m) => m.role === 'user')?.content);
  const called = /^call (\S+)/.exec(lastUser)?.[1];
  const names = trailingResults.length === 0 && called && tools.length > 0 ? (called === 'both' ? tools.slice(0, 2) : tools.filter((t) => t === called)) : [];
  const inputTokens = Math.max(1, Math.ceil(JSON.stringify(messages).length / 4));

  if (names.length > 0) {
    const calls = names.map((name, i) => ({ id: `${name}_mock${i}`, type: 'function', function: { name, arguments: '{"city":"Paris"}' } }));
    const plan = `I will call ${names.join(' and ')}.`;
    if (body?.stream !== true) {
      return { body: { id: 'mock-tools', finish_reason: 'TOOL_CALL', message: { role: 'assistant', tool_plan: plan, tool_calls: calls }, usage: usage(inputTokens, 9) } };
    }
    const events: Array<Record<string, unknown>> = [messageStart('mock-tools'), { type: 'tool-plan-delta', delta: { message: { tool_plan: plan } } }];
    calls.forEach((call, index) => {
      events.push({ type: 'tool-call-start', index, delta: { message: { tool_calls: { id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } } } } });
      events.push({ type: 'tool-call-delta', index, delta: { message: { tool_calls: { function: { arguments: '{"city":' } } } } });
      events.push({ type: 'tool-call-delta', index, delta: { message: { tool_calls: { function: { arguments: '"Paris"}' } } } } });
      events.push({ type: 'tool-call-end', index });
    });
    events.push({ type: 'message-end', delta: { finish_reason: 'TOOL_CALL', usage: usage(inputTokens, 9) } });
    return { events };
  }

  const text = trailingResults.length > 0 ? `tool said: ${trailingResults.join('; ')}` : `echo: ${lastUser}`;
  const words = text.split(/(?<= )/);
  if (body?.stream !== true) {
    return { body: { id: 'mock-answer', finish_reason: 'COMPLETE', message: { role: 'assistant', content: [{ type: 'text', text }] }, usage: usage(inputTokens, words.length) } };
  }
  return {
    events: [
      messageStart('mock-answer'),
      { type: 'content-start', index: 0, delta: { message: { content: { type: 'text', text: '' } } } },
      ...words.map((word) => ({ type: 'content-delta', index: 0, delta: { message: { content: { text: word } } } })),
      { type: 'content-end', index: 0 },
      { type: 'message-end', delta: { finish_reason: 'COMPLETE', usage: usage(inputTokens, words.length) } },
    ],
  };
}

export function messageStart(id: string): Record<string, unknown> {
  return { id, type: 'message-start', delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } };
}

function textOf(content: CohereMessage['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
