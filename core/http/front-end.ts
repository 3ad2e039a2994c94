/**
 * # Front-ends: API surfaces contributed by plugins
 *
 * A front-end is one client-facing API (`/v1/chat/completions`, `/v1/messages`, `/v1/responses`,
 * ...). It says how to read that API's requests into what the pipeline runs on (a chat request in
 * OpenAI's terms, or an embeddings request), and how to write the pipeline's answer back in that
 * API's format, whole or streamed, errors included. Everything in between (keys, limits, routing,
 * retry, the provider call, usage records) is the same request pipeline for every front-end.
 *
 * A plugin contributes one with `host.frontEnd({...})` in its setup.
 */
import type { Context as KoaContext } from 'koa';
import type { GatewayContext } from '../context.js';
import type { GatewayError } from '../errors.js';
import type { NativeRequest, TranslationLoss } from '../protocol/native.js';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, EmbeddingsRequest, EmbeddingsResponse } from '../protocol/openai.js';

/** What a request asks the pipeline to do: generate (chat), or embed. */
export type Operation = 'chat' | 'embeddings';

/**
 * A client's request, read by a front-end into the pipeline's terms. `state` is whatever the
 * front-end wants back when it renders this request's answer (the model name the client used,
 * what it asked to be told): plugins may rewrite `request` in between.
 */
export type ParsedRequest<State = undefined> = ParsedOperation & (undefined extends State ? { readonly state?: State } : { readonly state: State });

type ParsedOperation =
  | {
      readonly operation: 'chat';
      /** The request in OpenAI chat terms: what plugins read and non-native adapters send. */
      readonly request: ChatCompletionRequest;
      /** The client's own request, for an upstream that speaks its protocol (see protocol/native.ts). */
      readonly native?: NativeRequest;
      /** What `request` leaves out of the client's own (see `TranslationLoss`). */
      readonly losses?: readonly TranslationLoss[];
      /**
       * Fields of `request` the translation added only as hints (a `max_tokens` the client's API
       * required): an upstream that refuses one gets the request again without it.
       */
      readonly advisory?: readonly string[];
    }
  | { readonly operation: 'embeddings'; readonly request: EmbeddingsRequest };

export interface FrontEnd<State = undefined> {
  /** What `ctx.endpoint` says for its requests, e.g. `messages`. */
  readonly endpoint: string;
  /** Who may call it (see `Access`). Default `key`: a client with a gateway key, when a plugin checks keys. */
  readonly access?: 'public' | 'key' | 'admin';
  /**
   * The POST paths it serves, e.g. `['/v1/messages']`. Failures on these paths and below them
   * (`/v1/messages/count_tokens`) are answered with `renderError`, from the first byte.
   */
  readonly paths: readonly string[];
  /**
   * Reads and checks the client's JSON body (the `gateway` object already taken out of it). Throw a
   * GatewayError (`invalidRequest(...)`) for bad input; it is answered with `renderError`.
   */
  parse(body: Record<string, unknown>, http: KoaContext): ParsedRequest<State> | Promise<ParsedRequest<State>>;
  /**
   * The JSON body the client gets for a whole answer: a value, serialised by the kernel, or JSON
   * text or bytes it already has (an upstream's own answer), sent as they are with a JSON content
   * type. It may be a promise: a front-end that keeps its answers (the Responses API's stored
   * responses) stores one before the client can name it.
   */
  renderJson(ctx: GatewayContext, answer: ChatCompletion | EmbeddingsResponse, state: State): unknown;
  /**
   * For an API that asks something of the gateway rather than of a model (Anthropic's
   * `count_tokens`): the request runs through every plugin's middleware (keys, allow-lists, limits,
   * routing), then this answers it instead of an upstream call, and `renderJson` gets what it
   * returns. Such a request has no usage to bill or record (`ctx.answer` is set).
   */
  answer?(ctx: GatewayContext, state: State): Promise<unknown>;
  /**
   * The server-sent events (or other streamed text, see `streamContentType`) the client gets for a
   * streamed answer. A failure while
   * iterating `chunks` after the first one must end the stream with this API's error event (unless
   * `clientGone(ctx)`): the status line is already sent.
   */
  renderStream(ctx: GatewayContext, chunks: AsyncIterable<ChatCompletionChunk>, state: State): AsyncIterable<string>;
  /**
   * `renderStream` writes a chunk the adapter passed through unparsed (see `PassThroughHint`) as the
   * upstream's own text, reading nothing else of it: the OpenAI chat front-end over an
   * OpenAI-format upstream. Leave it unset for a front-end that translates chunks.
   */
  readonly passThrough?: boolean;
  /**
   * The `content-type` of a streamed answer, for APIs whose streams are not server-sent events
   * (Ollama's newline-delimited JSON: `application/x-ndjson`). Default: `text/event-stream`.
   */
  readonly streamContentType?: string;
  /** The error body in this API's format. Default: OpenAI's error JSON. */
  renderError?(error: GatewayError, requestId: string): unknown;
  /**
   * Other paths (and below) whose failures `renderError` answers: the rest of this API's surface,
   * such as the GET routes its plugin adds with `host.route` (Ollama's `/api` for `/api/tags`).
   */
  readonly errorPaths?: readonly string[];
}

/** Declares a front-end with its types checked; the identity function. */
export function defineFrontEnd<State = undefined>(frontEnd: FrontEnd<State>): FrontEnd<State> {
  return frontEnd;
}
