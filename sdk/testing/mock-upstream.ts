/**
 * An upstream over a real socket that speaks OpenAI's chat completions and Anthropic's Messages
 * API, for integration tests and the benchmark.
 *
 * By default it echoes: `POST /v1/chat/completions` and `POST /v1/messages` answer
 * "echo: <last user message>", whole or streamed word by word (OpenAI: with a usage chunk when
 * `stream_options.include_usage` is set), and `GET /v1/models` lists `models`. When the request
 * declares tools and the last user message says "call <tool>" it calls that tool (arguments
 * `{"city":"Paris"}`), "call both" calls the first two tools in parallel, and a tool's result is
 * answered with "tool said: <result>". Tests queue scenarios to inject what real providers do
 * wrong: errors with `Retry-After`, delays, hangs, resets, garbage bodies, streams cut mid-way.
 * `POST /v1/completions` (OpenAI's legacy text completions) answers "echo: <prompt>" per prompt,
 * whole or streamed (see text-completion-wire.ts).
 * `POST /v1/embeddings` answers `[length of the input, 1, 0]` per input; Azure's deployment paths
 * (`/openai/deployments/<name>/...`) are served as the same endpoints with the deployment as model.
 * Azure's v1 API (`/openai/v1/...`) is served as `/v1/...`.
 * `POST /v1/responses` (and Azure's `/openai/responses`) answers the same echo in OpenAI's Responses
 * format, whole or as its event stream; its tool calls are named as declared (a namespace's
 * functions by their own names, with the namespace).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { anthropicMessage, anthropicStreamEvents, type AnthropicBlockSpec } from './anthropic-wire.js';
import { textCompletionEchoScenario } from './text-completion-wire.js';
import { responsesObject, responsesStreamEvents, type ResponsesItemSpec } from './responses-wire.js';

export interface StreamScenario {
  /** Chunk objects (serialized as `data: <json>`) or raw strings written as they are. */
  chunks: Array<Record<string, unknown> | string>;
  chunkDelayMs?: number;
  /** Send `data: [DONE]` at the end. Default true. */
  done?: boolean;
  /** Destroy the socket after this many chunks: a stream cut mid-way. */
  cutAfter?: number;
  /** Stop sending after this many chunks and keep the connection open: a stalled stream. */
  stallAfter?: number;
  /** Wait this long between `[DONE]` and the end of the body. */
  endDelayMs?: number;
}

export interface Scenario {
  status?: number;
  headers?: Record<string, string>;
  /** Wait before sending headers. */
  delayMs?: number;
  /** JSON value, or a raw string sent as it is (garbage, HTML error pages). */
  body?: unknown;
  stream?: StreamScenario;
  /** Never answer. */
  hang?: boolean;
  /** Destroy the connection without answering. */
  reset?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
  /** The body as it arrived, byte for byte. */
  text: string;
}

export interface MockUpstream {
  /** Base URL including `/v1`, as a provider's `baseURL`. */
  readonly baseURL: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** TCP connections that have closed so far: a client that throws keep-alive connections away makes it grow. */
  readonly closedConnections: number;
  models: ListedModel[];
  /** Scenarios for the next chat requests, in order; after them, the default echo. */
  enqueue(...scenarios: Scenario[]): void;
  /** Forgets queued scenarios and recorded requests, between tests. */
  reset(): void;
  /** Resolves when the server has seen a client close a connection mid-answer (abort tests). */
  nextClientAbort(): Promise<void>;
  close(): Promise<void>;
}

/** A model `GET /v1/models` lists: its id, or the entry whole, with the fields a host adds (OpenRouter's `pricing`). */
export type ListedModel = string | { readonly id: string; readonly [field: string]: unknown };

export interface MockOptions {
  port?: number;
  models?: ListedModel[];
  /** Do not record requests (the benchmark sends millions). */
  record?: boolean;
}

export async function startMockUpstream(options: MockOptions = {}): Promise<MockUpstream> {
  const queue: Scenario[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let closedConnections = 0;
  const abortWaiters: Array<() => void> = [];
  const state = { models: options.models ?? ['mock-small', 'mock-large'] };
  const record = options.record !== false;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> | undefined;
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      if (record) requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body, text });
      res.on('close', () => {
        if (!res.writableFinished) for (const wake of abortWaiters.splice(0)) wake();
      });
      void handle(req, res, body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => {
      closedConnections++;
      sockets.delete(socket);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, received: Record<string, unknown> | undefined): Promise<void> {
    let path = (req.url ?? '/').split('?')[0] ?? '/';
    let body = received;
    // Azure OpenAI: the deployment in the path stands for the model.
    const azure = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(path);
    if (azure) {
      path = `/v1/${azure[2]}`;
      body = { ...body, model: decodeURIComponent(azure[1] ?? '') };
    }
    // Azure's Responses API, and its v1 API for everything: the body's model names the deployment.
    if (path === '/openai/responses') path = '/v1/responses';
    if (path.startsWith('/openai/v1/')) path = path.slice('/openai'.length);
    if (req.method === 'POST' && path === '/v1/embeddings' && queue.length === 0) {
      const inputs = Array.isArray(body?.input) ? (body.input as unknown[]) : [body?.input];
      return sendJson(res, 200, {
        object: 'list',
        data: inputs.map((input, index) => {
          const vector = [String(input).length, 1, 0];
          // The openai SDK asks for base64 (little-endian float32s) unless told otherwise.
          const embedding = body?.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
          return { object: 'embedding', index, embedding };
        }),
        model: body?.model,
        usage: { prompt_tokens: inputs.length * 2, total_tokens: inputs.length * 2 },
      });
    }
    if (req.method === 'GET' && path === '/v1/models') {
      const listed = (model: ListedModel) => ({ object: 'model', created: 1700000000, owned_by: 'mock', ...(typeof model === 'string' ? { id: model } : model) });
      return sendJson(res, 200, { object: 'list', data: state.models.map(listed) });
    }
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      return sendJson(res, 200, { input_tokens: JSON.stringify(body?.messages ?? []).length });
    }
    const echo = req.method === 'POST' && Object.hasOwn(POST_ECHOES, path) ? POST_ECHOES[path] : undefined;
    if (!echo) {
      return sendJson(res, 404, { error: { message: `mock: no route ${req.method} ${path}`, type: 'invalid_request_error', code: 'unknown_url' } });
    }
    const scenario = queue.shift() ?? echo(body);
    await play(res, scenario);
  }

  async function play(res: ServerResponse, scenario: Scenario): Promise<void> {
    if (scenario.hang) return;
    if (scenario.reset) {
      res.socket?.destroy();
      return;
    }
    if (scenario.delayMs) await sleep(scenario.delayMs);
    if (res.destroyed) return;
    const status = scenario.status ?? 200;
    if (!scenario.stream) {
      const raw = typeof scenario.body === 'string';
      res.writeHead(status, { 'content-type': raw ? 'text/plain' : 'application/json', ...scenario.headers });
      res.end(raw ? (scenario.body as string) : JSON.stringify(scenario.body ?? {}));
      return;
    }
    const stream = scenario.stream;
    res.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...scenario.headers });
    for (const [index, chunk] of stream.chunks.entries()) {
      if (stream.cutAfter !== undefined && index >= stream.cutAfter) {
        res.socket?.destroy();
        return;
      }
      if (stream.stallAfter !== undefined && index >= stream.stallAfter) return;
      if (stream.chunkDelayMs) await sleep(stream.chunkDelayMs);
      if (res.destroyed) return;
      res.write(typeof chunk === 'string' ? chunk : `data: ${JSON.stringify(chunk)}\n\n`);
    }
    if (stream.cutAfter !== undefined && stream.cutAfter >= stream.chunks.length) {
      res.socket?.destroy();
      return;
    }
    if (stream.stallAfter !== undefined && stream.stallAfter >= stream.chunks.length) return;
    if (stream.done !== false) res.write('data: [DONE]\n\n');
    if (stream.endDelayMs) await sleep(stream.endDelayMs);
    res.end();
  }

  await new Promise<void>((resolve) => server.listen({ port: options.port ?? 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    get connections() {
      return connections;
    },
    get closedConnections() {
      return closedConnections;
    },
    get models() {
      return state.models;
    },
    set models(value: ListedModel[]) {
      state.models = value;
    },
    enqueue: (...scenarios) => void queue.push(...scenarios),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    nextClientAbort: () => new Promise<void>((resolve) => abortWaiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A gateway provider entry pointing at a mock upstream (no background model listing). */
export function mockProvider(upstream: MockUpstream, extra: Record<string, unknown> = {}): { type: string; [option: string]: unknown } {
  return { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false, ...extra };
}

// ---- Building blocks for scenarios -------------------------------------------------------------

let sequence = 0;

export function completion(options: { content?: string | null; model?: string; toolCalls?: unknown[]; usage?: Record<string, unknown>; extra?: Record<string, unknown>; finishReason?: string } = {}): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: options.content === undefined ? 'ok' : options.content };
  if (options.toolCalls) message.tool_calls = options.toolCalls;
  return {
    id: `chatcmpl-mock-${++sequence}`,
    object: 'chat.completion',
    created: 1700000000,
    model: options.model ?? 'mock-small',
    choices: [{ index: 0, message, logprobs: null, finish_reason: options.finishReason ?? (options.toolCalls ? 'tool_calls' : 'stop') }],
    usage: options.usage ?? { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    ...options.extra,
  };
}

export function chunk(delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'chatcmpl-mock-stream', object: 'chat.completion.chunk', created: 1700000000, model: 'mock-small', choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...extra };
}

/**
 * A complete streamed answer: role, one chunk per word, finish, and optionally usage. With usage,
 * every chunk before the last carries `"usage": null`, as OpenAI's do when a request sets
 * `stream_options.include_usage`.
 */
export function wordChunks(text: string, options: { usage?: boolean } = {}): Array<Record<string, unknown>> {
  const words = text.split(/(?<= )/);
  const chunks = [chunk({ role: 'assistant', content: '' }), ...words.map((w) => chunk({ content: w })), chunk({}, 'stop')];
  if (!options.usage) return chunks;
  return [...chunks.map((c) => ({ ...c, usage: null })), { ...chunk({}), choices: [], usage: { prompt_tokens: 5, completion_tokens: words.length, total_tokens: 5 + words.length } }];
}

interface EchoReply {
  text: string;
  calls: Array<{ name: string; args: Record<string, unknown> }>;
}

/** What the echo answers to a conversation: the decision shared by both dialects. */
function echoReply(lastUserText: string, lastToolResult: string | undefined, toolNames: string[]): EchoReply {
  if (lastToolResult !== undefined) return { text: `tool said: ${lastToolResult}`, calls: [] };
  // "call <tool>" at the start of the message or at its end (agents put reminders before the prompt).
  const call = (/^call (\S+)/.exec(lastUserText) ?? /(?:^|[\s>])call (\S+)\s*$/.exec(lastUserText))?.[1];
  if (call && toolNames.length > 0) {
    const names = call === 'both' ? toolNames.slice(0, 2) : toolNames.filter((n) => n === call);
    if (names.length > 0) return { text: '', calls: names.map((name) => ({ name, args: { city: 'Paris' } })) };
  }
  return { text: `echo: ${lastUserText}`, calls: [] };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: { type?: string; text?: unknown }) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('');
  return '';
}

function echoScenario(body: Record<string, unknown> | undefined): Scenario {
  const messages = (body?.messages as Array<{ role: string; content: unknown }> | undefined) ?? [];
  const lastMessage = messages.at(-1);
  const last = [...messages].reverse().find((m) => m.role === 'user');
  const tools = ((body?.tools as Array<{ function?: { name?: string } }> | undefined) ?? []).map((t) => t.function?.name ?? '');
  const reply = echoReply(textOf(last?.content), lastMessage?.role === 'tool' ? textOf(lastMessage.content) : undefined, tools);
  const model = typeof body?.model === 'string' ? body.model : 'mock-small';
  const toolCalls = reply.calls.map((c, i) => ({ id: `call_${i + 1}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) } }));
  if (body?.stream === true) {
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    if (toolCalls.length === 0) return { stream: { chunks: wordChunks(reply.text, { usage: includeUsage }).map((c) => ({ ...c, model })) } };
    const chunks = [chunk({ role: 'assistant', content: null })];
    toolCalls.forEach((call, index) => {
      chunks.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }));
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: call.function.arguments } }] }));
    });
    chunks.push(chunk({}, 'tool_calls'));
    if (includeUsage) chunks.push({ ...chunk({}), choices: [], usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } });
    return { stream: { chunks: chunks.map((c) => ({ ...c, model })) } };
  }
  return { body: completion({ content: toolCalls.length ? null : reply.text, model, ...(toolCalls.length ? { toolCalls } : {}) }) };
}

function anthropicEchoScenario(body: Record<string, unknown> | undefined): Scenario {
  const messages = (body?.messages as Array<{ role: string; content: unknown }> | undefined) ?? [];
  // Claude Code ends its conversation with a system message: the echo answers the user.
  const last = messages.findLast((m) => m.role === 'user');
  const blocks = Array.isArray(last?.content) ? (last.content as Array<{ type?: string; content?: unknown }>) : [];
  const toolResult = blocks.find((b) => b.type === 'tool_result');
  const tools = ((body?.tools as Array<{ name?: string }> | undefined) ?? []).map((t) => t.name ?? '');
  const reply = echoReply(textOf(last?.content), toolResult ? textOf(toolResult.content) : undefined, tools);
  const specs: AnthropicBlockSpec[] = reply.calls.length
    ? reply.calls.map((c, i) => ({ toolUse: { id: `toolu_0${i + 1}`, name: c.name, input: c.args } }))
    : [{ text: reply.text }];
  const model = typeof body?.model === 'string' ? body.model : 'claude-test';
  if (body?.stream === true) return { stream: { chunks: anthropicStreamEvents(specs, { model }), done: false } };
  return { body: anthropicMessage(specs, { model }) };
}

/** The default answer of each POST route that plays queued scenarios. */
const POST_ECHOES: Record<string, (body: Record<string, unknown> | undefined) => Scenario> = {
  '/v1/chat/completions': echoScenario,
  '/v1/embeddings': echoScenario,
  '/v1/messages': anthropicEchoScenario,
  '/v1/completions': textCompletionEchoScenario,
  '/v1/responses': responsesEchoScenario,
};

function responsesEchoScenario(body: Record<string, unknown> | undefined): Scenario {
  const input = body?.input;
  const items = typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : Array.isArray(input) ? (input as Array<Record<string, unknown>>) : [];
  const lastItem = items.at(-1);
  const last = items.findLast((item) => item.role === 'user');
  const lastText = typeof last?.content === 'string' ? last.content : textOfParts(last?.content);
  const output = lastItem?.type === 'function_call_output' ? (typeof lastItem.output === 'string' ? lastItem.output : textOfParts(lastItem.output)) : undefined;
  const tools = ((body?.tools as Array<{ type?: string; name?: string; tools?: Array<{ name?: string }> }> | undefined) ?? []).flatMap((tool) =>
    tool.type === 'function' ? [tool.name ?? ''] : tool.type === 'namespace' ? (tool.tools ?? []).map((inner) => inner.name ?? '') : [],
  );
  const reply = echoReply(lastText, output, tools);
  const specs: ResponsesItemSpec[] = reply.calls.length ? reply.calls.map((c, i) => ({ call: { callId: `call_r${i + 1}`, name: c.name, arguments: JSON.stringify(c.args) } })) : [{ text: reply.text }];
  const options = { model: typeof body?.model === 'string' ? body.model : 'gpt-mock', id: `resp_mock_${++sequence}` };
  if (body?.stream === true) return { stream: { chunks: responsesStreamEvents(specs, options), done: false } };
  return { body: responsesObject(specs, options) };
}

/** The text of Responses content parts (`input_text`, `output_text`). */
function textOfParts(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content.map((p: { type?: string; text?: unknown }) => (typeof p.text === 'string' ? p.text : '')).join('');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
