/**
 * The per-request context every plugin sees: one typed object instead of Koa's `ctx.state: any`.
 *
 * It records what the gateway decided and observed for one client request: the parsed request,
 * the route (targets to try), every upstream attempt, the response, usage and timings. Data a
 * plugin wants to share with other plugins goes in a typed slot that the owning plugin exports.
 */
import type { Context as KoaContext } from 'koa';
import type { GatewayError } from './errors.js';
import { settledResponse, type GatewayResponse, type GatewayResponseInit, type RequestOutcome } from './gateway-response.js';
import type { ChatCompletionRequest, EmbeddingsRequest, Usage } from './protocol/openai.js';
import type { PassThroughHint, Target } from './providers/provider.js';
import type { Operation } from './http/front-end.js';
import type { ClientJson } from './http/client-json.js';
import type { RequestOptions } from './http/request-options.js';
import type { NativeRequest, TranslationLoss } from './protocol/native.js';
import { RequestAbort } from './request-abort.js';
import type { Slot } from './slot.js';

export { defineSlot, type Slot } from './slot.js';
export type { GatewayResponse, GatewayResponseInit, RequestOutcome } from './gateway-response.js';

/**
 * The client-facing API the request came in on, as its front-end names it: OpenAI's `chat.completions`,
 * `embeddings`, `completions` or `responses`, Anthropic's `messages`, or a plugin's own.
 */
export type Endpoint = 'chat.completions' | 'messages' | 'embeddings' | 'responses' | 'completions' | (string & {});

/** What the router decided: the requested model and the ordered targets that may serve it. */
export interface RouteDecision {
  readonly requestedModel: string;
  /** Set when the requested model is a virtual model (a stack). */
  readonly virtualModel?: string;
  readonly targets: readonly Target[];
  /** Who decided, for logs and `x-gateway-*` headers: `direct`, `virtual-model`, a rule's name. */
  readonly reason: string;
}

export type AttemptOutcome = 'pending' | 'ok' | 'error';

/** One try against one upstream target. */
export interface Attempt {
  readonly index: number;
  readonly target: Target;
  /** The generation of the provider's options it was sent with (`PluginHost.providerGeneration`). */
  readonly generation?: string;
  /** Milliseconds since the request started (performance clock). */
  readonly startedAt: number;
  /** When upstream response headers arrived. */
  headersAt?: number;
  /** When a streamed answer's first chunk arrived. */
  firstChunkAt?: number;
  /** When the attempt finished: error, whole JSON body, or end of stream. */
  endedAt?: number;
  outcome: AttemptOutcome;
  status?: number;
  error?: GatewayError;
}

export interface Timings {
  /** `performance.now()` when the request arrived; other timings are relative to it. */
  readonly startedAt: number;
  /** First byte of the answer handed to the client (headers for JSON, first chunk for streams). */
  firstByteMs?: number;
  /** The whole answer handed to the client. */
  totalMs?: number;
}

const NO_ADVISORY: ReadonlySet<string> = new Set();

/** Set by GatewayContext's static block: the only way outside the class to its requests' aborts (`requestAbort`). */
let abortOf: (ctx: GatewayContext) => RequestAbort;

export class GatewayContext {
  readonly endpoint: Endpoint;
  /** What the request asks of a provider: generate (`chat`, whatever the front-end) or `embeddings`. */
  readonly operation: Operation;
  readonly id: string;
  readonly http: KoaContext;
  readonly timings: Timings;
  /**
   * The client's request, parsed and validated, in OpenAI chat terms (for `/v1/messages` a
   * translation, for `/v1/embeddings` a view with the input as one user message, so that every
   * plugin reading models and prompts works on every endpoint). Plugins may rewrite it.
   */
  request: ChatCompletionRequest;
  /** The embeddings request itself, on `/v1/embeddings`. */
  readonly embeddings: EmbeddingsRequest | undefined;
  /** The request body's `gateway` object, checked against the fields plugins declared (see request-options.ts). */
  readonly requestOptions: RequestOptions;
  /** Fields of `request` a translation added only as hints: an upstream that refuses one gets the request without it (see advisory.ts). */
  readonly advisory: ReadonlySet<string>;
  /** Set by a router plugin, or by the kernel from `request.model` at dispatch time. */
  route: RouteDecision | undefined;
  readonly attempts: Attempt[] = [];
  /** The target whose answer the client gets. */
  servedBy: Target | undefined;
  /** The answer, once there is one. A plugin may set it without `status`: read back as 200 (see `GatewayResponseInit`). */
  get response(): GatewayResponse | undefined {
    return this.#response;
  }
  set response(value: GatewayResponseInit | undefined) {
    this.#response = value === undefined ? undefined : settledResponse(value);
  }
  #response: GatewayResponse | undefined;
  usage: Usage | undefined;
  error: GatewayError | undefined;
  outcome: RequestOutcome | undefined;
  /**
   * A whole (JSON) answer as the client was sent it: the front-end's rendering of `response.body`
   * and its JSON text, set by the kernel as it answers. Undefined for streams, for failures, and
   * until then. A plugin that wants the answer as text (a log) reads it here rather than
   * serialising it again: `body === response.body` says the client got the OpenAI view itself.
   */
  sentJson: { readonly body: unknown; readonly text: string } | undefined;
  /**
   * The client's JSON text until the pipeline is done, where `request` (or `embeddings`) is that text
   * parsed, less the `gateway` options: a log reads it on the way in rather than serialising again.
   */
  receivedText: string | undefined;
  /**
   * Set when the front-end answers the request itself at the end of the pipeline, with no provider
   * call through the upstream pipeline (a token count; see `FrontEnd.answer`): nothing to bill or
   * record as usage.
   */
  readonly answer: ((ctx: GatewayContext) => Promise<unknown>) | undefined;
  /** The kernel's; given to adapters with each try (see `PassThroughHint`). Both fields from the start: one shape for the adapters' reads. */
  readonly passThrough: PassThroughHint = { allowed: false, priming: false };
  /** The request's abort; its AbortSignal is made only when asked for (see request-abort.ts). */
  readonly #abort = new RequestAbort();
  private slots: Map<symbol, unknown> | undefined;
  /** The client's body as it came, while an upstream may still be sent it (see `encodeBody`). */
  private clientJson: ClientJson | undefined;
  private native: { request: NativeRequest; view: ChatCompletionRequest; fields: unknown[]; messages: unknown[]; losses: readonly TranslationLoss[] } | undefined;

  constructor(init: {
    endpoint: Endpoint;
    operation: Operation;
    id: string;
    http: KoaContext;
    request: ChatCompletionRequest;
    startedAt: number;
    embeddings?: EmbeddingsRequest;
    requestOptions?: RequestOptions;
    advisory?: readonly string[];
    answer?: (ctx: GatewayContext) => Promise<unknown>;
    clientJson?: ClientJson;
  }) {
    this.clientJson = init.clientJson;
    this.answer = init.answer;
    this.endpoint = init.endpoint;
    this.operation = init.operation;
    this.requestOptions = init.requestOptions ?? {};
    this.advisory = init.advisory && init.advisory.length > 0 ? new Set(init.advisory) : NO_ADVISORY;
    this.embeddings = init.embeddings;
    this.id = init.id;
    this.http = init.http;
    this.request = init.request;
    this.timings = { startedAt: init.startedAt };
  }

  /** Aborted when the client goes away or the request's deadline passes. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** `signal.throwIfAborted()` without making the signal (an AbortController costs 16 thousand instructions). */
  throwIfAborted(): void {
    this.#abort.throwIfAborted();
  }

  /** Milliseconds since the request arrived. */
  elapsed(): number {
    return performance.now() - this.timings.startedAt;
  }

  /** Aborts `signal` with `reason`, unless it was aborted before. */
  abort(reason: unknown): void {
    this.#abort.abort(reason);
  }

  /** A deadline `elapsedMs` after the request arrived, unless the returned function lifts it (retry's, until an answer starts): one timer, cheaper than a signal per try. None past 2^31 ms (24.8 days), which a Node timer takes for 1 ms. */
  abortAt(elapsedMs: number, reason: () => unknown): () => void {
    if (elapsedMs >= 2 ** 31) return () => undefined;
    const timer = setTimeout(() => this.abort(reason()), Math.max(0, elapsedMs - this.elapsed()));
    timer.unref();
    return () => clearTimeout(timer);
  }

  /** Keeps the client's request in its own protocol next to `request`, its OpenAI view, for an upstream that speaks it; `losses` is what the view left out (matters only where the view goes upstream). */
  setNativeRequest(native: NativeRequest, losses: readonly TranslationLoss[] = []): void {
    this.native = { request: native, view: this.request, fields: Object.values(this.request), messages: this.request.messages.flatMap((m) => [m, m.content]), losses };
  }

  /**
   * The kernel's, for adapters (`ChatCallInput.encodeBody`): `body` as JSON, with the client's own
   * bytes for each top-level field still as the client sent it (see client-json.ts).
   */
  encodeBody(body: object): string | Buffer {
    return this.clientJson ? this.clientJson.encode(body) : JSON.stringify(body);
  }

  /** The kernel's: no upstream is sent anything after the pipeline; a held stream need not keep the body's text. */
  forgetClientJson(): void {
    this.clientJson = this.receivedText = undefined;
  }

  /** What the OpenAI view leaves out of the client's own request (see `setNativeRequest`). */
  translationLosses(): readonly TranslationLoss[] {
    return this.native?.losses ?? [];
  }

  /**
   * The client's own request, if no plugin has changed the OpenAI view since: a plugin that rewrites
   * the prompt (replacing a message or its content, or any top-level field) makes the gateway send
   * the translation of its rewrite instead. Checked by identity, so it costs nothing per token.
   */
  nativeRequest(): NativeRequest | undefined {
    const native = this.native;
    if (!native || this.request !== native.view) return undefined;
    const fields = Object.values(this.request);
    if (fields.length !== native.fields.length || fields.some((value, i) => value !== native.fields[i])) return undefined;
    const messages = this.request.messages;
    if (messages.length * 2 !== native.messages.length) return undefined;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i];
      if (message !== native.messages[2 * i] || message?.content !== native.messages[2 * i + 1]) return undefined;
    }
    return native.request;
  }

  get<T>(slot: Slot<T>): T | undefined {
    return this.slots?.get(slot.key) as T | undefined;
  }

  set<T>(slot: Slot<T>, value: T): void {
    (this.slots ??= new Map()).set(slot.key, value);
  }

  static {
    abortOf = (ctx) => ctx.#abort;
  }
}

/** The kernel's handle on a request's abort, for the provider call (not part of the plugin API: plugins use `ctx.signal`). */
export function requestAbort(ctx: GatewayContext): RequestAbort {
  return abortOf(ctx);
}
