/**
 * Native pass-through: when a client and the upstream speak the same protocol (an Anthropic client,
 * an Anthropic upstream), the client should get the upstream's answer as it was sent, not a
 * round trip through OpenAI's format that could lose what OpenAI has no word for.
 *
 * Plugins still see the answer in OpenAI terms; each chunk (or the whole body) additionally carries
 * the upstream's own event under a symbol, which JSON never serialises, so OpenAI clients never see
 * it. The front-end of the same protocol replays it.
 */
export type NativeProtocol =
  /** Anthropic's Messages API (`/v1/messages`). */
  | 'anthropic'
  /** OpenAI's legacy text completions (`/v1/completions`), which OpenAI and many compatible servers serve. */
  | 'openai-completions'
  /** OpenAI's Responses API (`/v1/responses`), which OpenAI and Azure OpenAI serve. */
  | 'openai-responses';

export interface NativeEvent {
  readonly protocol: NativeProtocol;
  /** The SSE event name. */
  readonly event: string;
  /** The SSE data, exactly as received. */
  readonly data: string;
}

const NATIVE = Symbol.for('llm-gateway.native');

export function attachNative<T extends object>(value: T, native: NativeEvent): T {
  Object.defineProperty(value, NATIVE, { value: native, enumerable: false });
  return value;
}

export function nativeOf(value: unknown, protocol: NativeProtocol): NativeEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const native = (value as { [NATIVE]?: NativeEvent })[NATIVE];
  return native?.protocol === protocol ? native : undefined;
}

/** A request as the client sent it in its own protocol, for an upstream that speaks it too. */
export interface NativeRequest {
  readonly protocol: NativeProtocol;
  readonly body: Record<string, unknown>;
  /** Headers of that protocol to forward (e.g. `anthropic-beta`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The query string the client sent (`beta=true`), without the `?`, to send along. */
  readonly query?: string;
  /**
   * Fields of `body` the front-end added, not the client (a text-completions stream's ask for its
   * usage): an upstream that refuses one with a 400 is sent the body again without it, and that
   * deployment is not sent it again (core/advisory.ts), as with a translation's hints.
   */
  readonly hints?: readonly string[];
}

/**
 * Something of the client's request its OpenAI translation leaves out. It matters only when the
 * translation is what goes upstream, and then by kind:
 * - `tool`: a tool the client offers that only its own API can run (Anthropic's web search, OpenAI's
 *   hosted tools). Offering a tool changes nothing the model is told, so it is left out and the
 *   model works without it (coding agents offer such tools on every request);
 * - `content`: something the conversation says or asks that the target cannot express (a block
 *   type, a role): the target's `unsupportedParams` policy says whether the request is refused
 *   (`error`, the default) or sent without it (`drop`);
 * - `meaning`: something without which the rest means something else (Anthropic's `thread`, whose
 *   `messages` are only the turn that continues a conversation the server holds): always refused,
 *   with `errorFields` in the client API's own terms, from which its SDK can recover.
 * Whatever is left out is named in the answer's `x-gateway-dropped` header.
 */
export type TranslationLoss =
  | { readonly param: string; readonly why: string; readonly kind: 'tool' | 'content' }
  | {
      readonly param: string;
      readonly why: string;
      readonly kind: 'meaning';
      /** Fields of the refusal's error object beside message and type (Anthropic's `details`). */
      readonly errorFields: Readonly<Record<string, unknown>>;
    };
