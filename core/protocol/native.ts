/**
 * Native pass-through: when a client and the upstream speak the same protocol (an Anthropic client,
 * an Anthropic upstream), the client should get the upstream's answer as it was sent, not a
 * round trip through OpenAI's format that could lose what OpenAI has no word for.
 *
 * Plugins still see the answer in OpenAI terms; each chunk (or the whole body) additionally carries
 * the upstream's own event under a symbol, which JSON never serialises, so OpenAI clients never see
 * it. The front-end of the same protocol replays it.
 */
export type NativeProtocol = 'anthropic';

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
}

/**
 * Something of the client's request its OpenAI translation leaves out (a server tool, a block
 * type OpenAI has no word for). It matters only when the translation is what goes upstream; then
 * the target's `unsupportedParams` policy says whether the request is refused or sent without it.
 */
export interface TranslationLoss {
  /** Where, in the client's own terms: `tools.0`, `messages.2.content.1`. */
  readonly param: string;
  readonly why: string;
}
