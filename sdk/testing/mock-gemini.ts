/**
 * A Gemini-format upstream over a real socket, for end-to-end tests of the `gemini` adapter (the
 * OpenAI-format one is mock-upstream.ts). It speaks the wire format of
 * https://ai.google.dev/api/generate-content under `/v1beta`:
 *
 * - `POST /v1beta/models/{model}:generateContent` answers "echo: <last user text>";
 *   `:streamGenerateContent?alt=sse` streams the same answer word by word (`data: <json>\r\n\r\n`
 *   events, finishReason and usage on the last one).
 * - With tools declared and a last user text starting with "call ", it calls a function instead:
 *   "call get_weather" → `get_weather({city: "Paris"})` (the named function if declared, else the
 *   first one); "call both" → the first two declared functions, in parallel. Like Gemini 3, the
 *   first functionCall part carries a `thoughtSignature` ("sig-<name>").
 * - After tool results (a last turn of functionResponse parts), it answers
 *   "tool results: <name>=<response json>; ..." so a test can see what reached the model.
 * - Where `toolConfig.functionCallingConfig.mode` is ANY, a function call is the only answer, so
 *   what it would have said as text becomes a call of the last function allowed (by
 *   `allowedFunctionNames`, else declared), every string property of its parameters holding the text.
 * - `:countTokens` (total = characters / 4), `:batchEmbedContents` (small deterministic vectors) and
 *   `GET /v1beta/models` (the `models` list) answer too.
 * - With `apiKey` set, a request without that `x-goog-api-key` gets Gemini's 400 API_KEY_INVALID.
 *
 * Every request is recorded (method, path with query, headers, parsed body). Tests queue raw
 * scenarios for the next generate/stream calls: `{status, body}` (a JSON value, or a string sent
 * as it is) or `{streamEvents, cutAfter}` (objects become `data: <json>` events; strings are written
 * verbatim, for garbage and awkward framing; `cutAfter` destroys the socket after that many events).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface GeminiScenario {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON value, or a string sent as it is. */
  body?: unknown;
  /** Stream these events instead: objects as `data: <json>\r\n\r\n`, strings verbatim. */
  streamEvents?: ReadonlyArray<object | string>;
  /** Destroy the connection after this many events: a stream cut mid-way. */
  cutAfter?: number;
  /** Wait before answering. */
  delayMs?: number;
}

export interface RecordedGeminiRequest {
  method: string;
  /** Path and query, e.g. `/v1beta/models/gemini-x:streamGenerateContent?alt=sse`. */
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
}

export interface MockGemini {
  /** `http://127.0.0.1:<port>/v1beta`: a `gemini` provider's `baseURL`. */
  readonly baseURL: string;
  readonly port: number;
  readonly requests: RecordedGeminiRequest[];
  /** Model names (without `models/`) listed by `GET /v1beta/models`. */
  models: string[];
  /** Scenarios for the next generateContent/streamGenerateContent calls; then the default echo. */
  enqueue(...scenarios: GeminiScenario[]): void;
  reset(): void;
  close(): Promise<void>;
}

export interface MockGeminiOptions {
  port?: number;
  models?: string[];
  /** When set, requests must carry this `x-goog-api-key`. */
  apiKey?: string;
}

interface Part {
  text?: string;
  functionCall?: { name: string; args?: unknown };
  functionResponse?: { name: string; response?: unknown };
  thoughtSignature?: string;
}

interface Content {
  role?: string;
  parts?: Part[];
}

const ROUTE = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens|batchEmbedContents)$/;

export async function startMockGemini(options: MockGeminiOptions = {}): Promise<MockGemini> {
  const queue: GeminiScenario[] = [];
  const requests: RecordedGeminiRequest[] = [];
  const sockets = new Set<Socket>();
  const state = { models: options.models ?? ['gemini-mock-flash', 'gemini-mock-pro'] };

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
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body });
      void handle(req, res, body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown> | undefined): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mock');
    if (options.apiKey !== undefined && req.headers['x-goog-api-key'] !== options.apiKey) {
      return sendJson(res, 400, {
        error: {
          code: 400,
          message: 'API key not valid. Please pass a valid API key.',
          status: 'INVALID_ARGUMENT',
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
        },
      });
    }
    if (req.method === 'GET' && url.pathname === '/v1beta/models') {
      return sendJson(res, 200, {
        models: state.models.map((id) => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: id.includes('embedding') ? ['embedContent'] : ['generateContent', 'countTokens'] })),
      });
    }
    const route = req.method === 'POST' ? ROUTE.exec(url.pathname) : null;
    if (!route) return sendJson(res, 404, { error: { code: 404, message: `mock: no route ${req.method} ${url.pathname}`, status: 'NOT_FOUND' } });
    const model = decodeURIComponent(route[1] as string);
    const method = route[2] as string;
    if (method === 'countTokens') {
      return sendJson(res, 200, { totalTokens: Math.ceil(JSON.stringify(body?.generateContentRequest ?? {}).length / 4) });
    }
    if (method === 'batchEmbedContents') {
      const items = Array.isArray(body?.requests) ? (body.requests as Array<{ content?: Content; outputDimensionality?: number }>) : [];
      return sendJson(res, 200, { embeddings: items.map((item) => ({ values: vectorFor(textOf(item.content?.parts ?? []), item.outputDimensionality ?? 4) })) });
    }
    const streaming = method === 'streamGenerateContent';
    if (streaming && url.searchParams.get('alt') !== 'sse') {
      return sendJson(res, 400, { error: { code: 400, message: 'mock: only alt=sse streams are served', status: 'INVALID_ARGUMENT' } });
    }
    const scenario = queue.shift() ?? echoScenario(body, model, streaming);
    await play(res, scenario);
  }

  async function play(res: ServerResponse, scenario: GeminiScenario): Promise<void> {
    if (scenario.delayMs) await sleep(scenario.delayMs);
    if (res.destroyed) return;
    if (!scenario.streamEvents) {
      const raw = typeof scenario.body === 'string';
      res.writeHead(scenario.status ?? 200, { 'content-type': raw ? 'text/plain' : 'application/json', ...scenario.headers });
      res.end(raw ? (scenario.body as string) : JSON.stringify(scenario.body ?? {}));
      return;
    }
    res.writeHead(scenario.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...scenario.headers });
    res.flushHeaders();
    for (const [index, event] of scenario.streamEvents.entries()) {
      if (scenario.cutAfter !== undefined && index >= scenario.cutAfter) {
        res.socket?.destroy();
        return;
      }
      if (res.destroyed) return;
      // Each event is flushed before the next: a cut then falls between events, as a test expects.
      await new Promise<void>((resolve) => res.write(typeof event === 'string' ? event : `data: ${JSON.stringify(event)}\r\n\r\n`, () => resolve()));
    }
    if (scenario.cutAfter !== undefined && scenario.cutAfter >= scenario.streamEvents.length) {
      res.socket?.destroy();
      return;
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1beta`,
    port,
    requests,
    get models() {
      return state.models;
    },
    set models(value: string[]) {
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

/** A gateway provider entry pointing at a mock Gemini (no background model listing). */
export function mockGeminiProvider(mock: MockGemini, extra: Record<string, unknown> = {}): { type: string; [option: string]: unknown } {
  return { type: 'gemini', apiKey: 'mock-key', baseURL: mock.baseURL, listModels: false, ...extra };
}

// ---- Building blocks -----------------------------------------------------------------------------

/** One Gemini answer (or stream event) with a single candidate. */
export function geminiResponse(parts: Part[], options: { finishReason?: string; model?: string; usage?: Record<string, number> } = {}): Record<string, unknown> {
  return {
    candidates: [{ content: { role: 'model', parts }, index: 0, ...(options.finishReason ? { finishReason: options.finishReason } : {}) }],
    usageMetadata: options.usage ?? { promptTokenCount: 5, totalTokenCount: 5 },
    modelVersion: options.model ?? 'gemini-mock-flash',
    responseId: 'mock-response',
  };
}

function echoScenario(body: Record<string, unknown> | undefined, model: string, streaming: boolean): GeminiScenario {
  const contents = Array.isArray(body?.contents) ? (body.contents as Content[]) : [];
  const declared = declaredFunctions(body);
  const last = contents.at(-1);
  const lastParts = last?.parts ?? [];

  let parts: Part[];
  if (lastParts.some((p) => p.functionResponse)) {
    const results = lastParts.filter((p) => p.functionResponse).map((p) => `${p.functionResponse?.name}=${JSON.stringify(p.functionResponse?.response ?? {})}`);
    parts = [{ text: `tool results: ${results.join('; ')}` }];
  } else {
    const userText = textOf([...contents].reverse().find((c) => c.role !== 'model' && c.parts?.some((p) => typeof p.text === 'string'))?.parts ?? []);
    const calls = declared.length > 0 && userText.startsWith('call ') ? functionsToCall(userText.slice(5).trim(), declared) : [];
    parts = calls.length > 0
      ? calls.map((name, index) => ({ functionCall: { name, args: { city: 'Paris' } }, ...(index === 0 ? { thoughtSignature: `sig-${name}` } : {}) }))
      : [{ text: `echo: ${userText}` }];
  }
  const forced = forcedCall(body, textOf(parts));
  if (forced && !parts.some((p) => p.functionCall)) parts = [forced];

  const promptTokens = Math.max(1, Math.ceil(JSON.stringify(contents).length / 4));
  const text = parts.map((p) => p.text ?? '').join('');
  const words = text === '' ? [] : text.split(/(?<= )/);
  const outputTokens = Math.max(1, words.length + parts.filter((p) => p.functionCall).length);
  const usage = { promptTokenCount: promptTokens, candidatesTokenCount: outputTokens, totalTokenCount: promptTokens + outputTokens };
  if (!streaming) return { body: geminiResponse(parts, { finishReason: 'STOP', model, usage }) };

  // Text streams word by word; function calls come whole, in one event, as Gemini sends them.
  const pieces: Part[][] = words.length > 0 ? words.map((word) => [{ text: word }]) : [parts];
  return {
    streamEvents: pieces.map((piece, index) =>
      index === pieces.length - 1
        ? geminiResponse(piece, { finishReason: 'STOP', model, usage })
        : geminiResponse(piece, { model, usage: { promptTokenCount: promptTokens, totalTokenCount: promptTokens } }),
    ),
  };
}

function declaredFunctions(body: Record<string, unknown> | undefined): string[] {
  const tools = Array.isArray(body?.tools) ? (body.tools as Array<{ functionDeclarations?: Array<{ name?: string }> }>) : [];
  return tools.flatMap((tool) => (tool.functionDeclarations ?? []).map((d) => d.name ?? '')).filter((name) => name !== '');
}

/** Under mode ANY, the call that stands for `text`: the last allowed function, its string parameters holding the text. */
function forcedCall(body: Record<string, unknown> | undefined, text: string): Part | undefined {
  const calling = (body?.toolConfig as { functionCallingConfig?: { mode?: string; allowedFunctionNames?: string[] } } | undefined)?.functionCallingConfig;
  if (calling?.mode !== 'ANY') return undefined;
  const tools = Array.isArray(body?.tools) ? (body.tools as Array<{ functionDeclarations?: Array<{ name?: string; parametersJsonSchema?: { properties?: Record<string, { type?: unknown }> } }> }>) : [];
  const declarations = tools.flatMap((tool) => tool.functionDeclarations ?? []);
  const allowed = calling.allowedFunctionNames ?? declarations.map((d) => d.name ?? '');
  const name = allowed.at(-1);
  if (!name) return undefined;
  const properties = declarations.find((d) => d.name === name)?.parametersJsonSchema?.properties ?? {};
  const args = Object.fromEntries(Object.entries(properties).filter(([, schema]) => schema?.type === 'string').map(([key]) => [key, text]));
  return { functionCall: { name, args } };
}

function functionsToCall(what: string, declared: string[]): string[] {
  if (what === 'both') return declared.slice(0, 2);
  return [declared.includes(what) ? what : (declared[0] as string)];
}

function textOf(parts: Part[]): string {
  return parts.map((p) => (typeof p.text === 'string' ? p.text : '')).join('');
}

/** A small vector that depends on the text, so tests can tell inputs apart. */
function vectorFor(text: string, dimensions: number): number[] {
  return Array.from({ length: dimensions }, (_, i) => ((text.length + i) % 10) / 10);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
