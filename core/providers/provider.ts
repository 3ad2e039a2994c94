/**
 * The provider contract: what an adapter (OpenAI, Anthropic, a demo, a plugin's own) must do.
 *
 * A provider *type* (e.g. `openai-compatible`) is registered by a plugin with an options schema and a
 * factory; each entry of `providers` in the config is an *instance* of a type with its own id
 * (`groq`, `openai`, ...). Adapters speak OpenAI chat to the gateway and their own wire format
 * upstream, and they report every failure as a GatewayError naming the provider.
 */
import type { JSONSchemaType } from 'ajv';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, EmbeddingsRequest, EmbeddingsResponse, Usage } from '../protocol/openai.js';
import type { Logger } from '../logger.js';
import type { Dispatcher } from 'undici';
import type { NativeProtocol, NativeRequest } from '../protocol/native.js';
import type { UnsupportedParamsPolicy } from './unsupported.js';

/** One place a request can go: a provider instance and the model name it knows. */
export interface Target {
  /** Provider instance id from the config, e.g. `groq`. */
  readonly provider: string;
  /** The model name as the provider knows it, e.g. `llama-3.3-70b-versatile`. */
  readonly model: string;
  /** Request fields merged over the client's for this target only (virtual model overrides). */
  readonly params?: Readonly<Record<string, unknown>>;
}

export interface ChatCallInput {
  /** The request as it goes upstream: `model` already set to the target's model. */
  readonly body: ChatCompletionRequest;
  /**
   * Aborted when the client disconnects, a deadline passes, or a plugin gives up. Made when first
   * read: give the provider kit's client the input itself (`client.send({ signal: input })`),
   * which follows the request without it (see core/request-abort.ts).
   */
  readonly signal: AbortSignal;
  /** Extra headers to send upstream (e.g. a request id to correlate logs). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The request as the client wrote it in its own protocol, given only to an adapter that lists
   * that protocol in `nativeProtocols` and only while no plugin changed the request. The adapter
   * sends it as it is and attaches its native answer (see protocol/native.ts).
   */
  readonly native?: NativeRequest;
  /**
   * Whether this stream's chunks are only read in place from now on (see `PassThroughHint`): an
   * adapter may ignore it, and every adapter that does not keep the upstream's event text should.
   */
  readonly passThrough?: PassThroughHint;
  /**
   * The body the adapter sends (`body`, `native.body` with the target's model, or a translation)
   * as JSON, as `JSON.stringify` would write it, but with the client's own bytes for every
   * top-level field whose value is still what the client sent: an agent's conversation of hundreds
   * of KB is neither serialised nor encoded again. Text or bytes, both `UpstreamRequest.body`.
   * Without it, use `JSON.stringify`.
   */
  readonly encodeBody?: (body: object) => string | Uint8Array;
}

/**
 * Turns true while a stream runs (after its start), once its chunks will only be read in place: by
 * the kernel, by plugins' taps that declared `lazyChunks` (they read fields and keep no chunk), and
 * by a front-end that writes the upstream's own event text (no generator or other wrapper, and the
 * front-end declared `passThrough`). From then on an adapter that keeps each chunk's upstream text
 * may hand over chunks it did not parse, as long as each is still read right: the OpenAI-format
 * adapter's `PassedChunk` parses on demand what a reader asks for (often only its answer text or
 * its finish reason), and every chunk that carries usage or an error is parsed whole, as the kernel
 * reads those. Parsing every event was the largest cost of a long stream.
 */
export interface PassThroughHint {
  readonly allowed: boolean;
  /**
   * True while the kernel's priming reads the stream's first chunks through in-place readers only,
   * before anyone knows who reads the rest. An adapter may then hand over chunks it did not parse,
   * as once `allowed`, if each is an `UnparsedChunk` (`[AS_PARSED]()` gives the plain chunk a parse
   * of its event gives): should pass-through be refused, the kernel hands that plain chunk on in its
   * place, before any other reader sees it (core/unparsed-preamble.ts).
   */
  readonly priming?: boolean;
}

/** What a provider answered: a whole completion, or a stream of chunks still arriving. */
export type ChatResult = JsonResult<ChatCompletion> | StreamResult<ChatCompletionChunk>;

/** What one upstream try gives back through the upstream pipeline: chat, or embeddings. */
export type UpstreamResult = ChatResult | EmbeddingsResult;

export interface EmbeddingsResult {
  readonly kind: 'embeddings';
  readonly status: number;
  readonly body: EmbeddingsResponse;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** As `JsonResult.raw`: the upstream's own text of the list, where it is the upstream's JSON as parsed. */
  readonly raw?: RawJson<EmbeddingsResponse>;
}

export interface JsonResult<T> {
  readonly kind: 'json';
  readonly status: number;
  readonly body: T;
  /** Upstream response headers the gateway may read (rate limits, request ids). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The upstream's own JSON text, when `body` is that text parsed and nothing else (see `RawJson`). */
  readonly raw?: RawJson<T>;
}

/**
 * A whole answer's upstream text beside the object parsed from it. The kernel sends a client the
 * text as it came, rather than serialising the answer again, while the answer is still `body`
 * itself: a plugin that changes an answer sets a new object (`{ ...ctx.response, body: changed }`),
 * which is serialised as changed, and never edits one in place (docs/plugins.md). An adapter sets
 * it only where its answer is the upstream's JSON as parsed (an OpenAI-format upstream), not a
 * translation.
 */
export interface RawJson<T> {
  readonly body: T;
  readonly text: string;
}

export interface StreamResult<T> {
  readonly kind: 'stream';
  readonly status: number;
  /**
   * The chunks, as they arrive. Consuming it to the end or breaking out of it releases the upstream
   * connection; a truncated or malformed upstream stream throws a GatewayError from the iterator.
   */
  readonly chunks: AsyncIterable<T>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * The answer's usage as far as the provider stated it before the chunk that reports it whole
   * (Anthropic's prompt size in its first event, Gemini's counts in each event), undefined before
   * it said any. Asked at any time, during the stream or after it: what a stream that failed or was
   * left before its end is billed for (`usageSoFar`, core/provider-call.ts).
   */
  readonly usageSoFar?: () => Usage | undefined;
}

export interface EmbeddingsCallInput {
  /** `model` already set to the target's model. */
  readonly body: EmbeddingsRequest;
  /** As `ChatCallInput.signal`. */
  readonly signal: AbortSignal;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ProviderModel {
  /** The provider's own model id (without the `provider/` prefix). */
  id: string;
  created?: number;
  ownedBy?: string;
  /** What the host's list says the model costs (OpenRouter's list does), for models the price table lacks. */
  price?: ListedPrice;
}

/** A model's price as its host lists it, in USD per million tokens, as the cost plugin's table has them. */
export interface ListedPrice {
  input: number;
  output: number;
  /** Prompt tokens read from the host's cache. Absent: billed at `input`. */
  cachedInput?: number;
  /** Prompt tokens written to the host's cache. Absent: billed at `input`. */
  cacheWrite?: number;
}

export interface Provider {
  /** The instance id, e.g. `groq`. */
  readonly id: string;
  /** The provider type it was made from, e.g. `openai-compatible`. */
  readonly type: string;
  /** Client protocols besides OpenAI's that it takes as written (`anthropic`): see `ChatCallInput.native`. */
  readonly nativeProtocols?: readonly NativeProtocol[];
  chatCompletions(input: ChatCallInput): Promise<ChatResult>;
  /** The prompt's exact token count, from the provider's own counting API; omit when it has none. */
  countTokens?(input: ChatCallInput): Promise<number>;
  /** OpenAI-format embeddings; omit when the provider has none (the gateway answers 400). */
  embeddings?(input: EmbeddingsCallInput): Promise<JsonResult<EmbeddingsResponse>>;
  /** Lists the models the provider serves; omit when it has no such API (config `models` is used). */
  listModels?(signal: AbortSignal): Promise<ProviderModel[]>;
  close?(): Promise<void> | void;
}

/** Options every provider instance accepts, whatever its type. */
export interface CommonProviderOptions {
  type: string;
  /** Set to false to keep an entry in the config without using it. */
  enabled?: boolean;
  /** Models to advertise in addition to (or instead of) what the provider lists. */
  models?: string[];
  /**
   * What to do with a part of a request this provider cannot express (an Anthropic server tool
   * sent to an OpenAI-format host, `n > 1` to Anthropic): refuse with a 400 naming the provider and
   * the field (`error`, the default) or send the request without it (`drop`).
   */
  unsupportedParams?: UnsupportedParamsPolicy;
}

export interface ProviderContext {
  readonly id: string;
  readonly logger: Logger;
  /** An undici dispatcher HTTP adapters should use instead of their own pool (proxies, tests). */
  readonly dispatcher?: Dispatcher;
}

/** A provider type as a plugin registers it. */
export interface ProviderType<Options extends CommonProviderOptions = CommonProviderOptions> {
  readonly type: string;
  /** JSON Schema of the options (without `type`, `enabled` and `models`, which the kernel owns). */
  readonly schema: JSONSchemaType<unknown> | Record<string, unknown>;
  /** Option names whose values are secrets: never printed, masked by `llm-gateway check`. */
  readonly secretOptions?: readonly string[];
  create(options: Options, context: ProviderContext): Provider;
}

export function defineProviderType<Options extends CommonProviderOptions>(
  type: ProviderType<Options>,
): ProviderType<Options> {
  return type;
}
