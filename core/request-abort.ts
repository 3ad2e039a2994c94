/**
 * A request's abort as the kernel keeps it: whether and why it was aborted, with its AbortSignal
 * made only when someone asks for one (`ctx.signal`, a call input's `signal`).
 *
 * Why not an AbortController a request: on Node 20, making an AbortSignal and adding and removing
 * a listener on it cost about 29 thousand instructions, 8 % of a request through the gateway
 * without plugins (16 for `new AbortController().signal`, which changes the new object's
 * prototype and so misses V8's inline caches on every store after it; 13 for the listener). A
 * request that is never aborted, nearly every one, needs neither: the provider kit's client
 * follows the request here (`followAbort`), with a plain callback.
 */

/** Under this key the kernel's call inputs carry their request's abort (`Symbol.for`: a plugin built against another copy of the kernel finds it too). */
export const REQUEST_ABORT = Symbol.for('llm-gateway.request-abort');

/** What `followAbort` takes: an AbortSignal, or something that carries one (a provider call's input). */
export type AbortSource = AbortSignal | { readonly signal: AbortSignal };

/** Something that calls `listener` with the reason once aborted (at once if it already is); the returned function stops that. */
interface Followable {
  follow(listener: (reason: unknown) => void): () => void;
}

const NOTHING_TO_UNDO = (): void => undefined;

export class RequestAbort implements Followable {
  private controller: AbortController | undefined;
  private aborted: { readonly reason: unknown } | undefined;
  private followers: Array<(reason: unknown) => void> | undefined;

  /** The standard signal for this abort, made when first asked for (already aborted if this is). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.aborted.reason);
    }
    return this.controller.signal;
  }

  /** Throws the reason, if aborted. */
  throwIfAborted(): void {
    if (this.aborted) throw this.aborted.reason;
  }

  /** The first call wins; later ones change nothing. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = { reason };
    this.controller?.abort(reason);
    const followers = this.followers;
    this.followers = undefined;
    if (followers) for (const listener of followers) listener(reason);
  }

  follow(listener: (reason: unknown) => void): () => void {
    if (this.aborted) {
      listener(this.aborted.reason);
      return NOTHING_TO_UNDO;
    }
    (this.followers ??= []).push(listener);
    return () => {
      const followers = this.followers;
      const at = followers ? followers.indexOf(listener) : -1;
      if (at >= 0) followers!.splice(at, 1);
    };
  }

  /** Aborted when `first` is or when `second` is, with the reason of whichever came first (a request, and one try's own signal). */
  static either(first: RequestAbort, second: AbortSignal): RequestAbort {
    const joined = new RequestAbort();
    // Both live no longer than the request, so what they hold of `joined` dies with it.
    first.follow((reason) => joined.abort(reason));
    followAbort(second, (reason) => joined.abort(reason));
    return joined;
  }
}

/**
 * A call input's `signal`: an own, enumerable getter, so that a spread copy of the input
 * (`{ ...input, body }`) gets the signal itself. Defined with `Object.defineProperty` from this one
 * descriptor rather than written in the input's object literal: there a getter costs a runtime call
 * (about 1 µs on Node 20), and V8 then allocated every input in the old generation, holding what
 * each input reaches there until a major collection (scavenges several times dearer: measured).
 */
const LAZY_SIGNAL: PropertyDescriptor = {
  get(this: { readonly [REQUEST_ABORT]: RequestAbort }): AbortSignal {
    return this[REQUEST_ABORT].signal;
  },
  enumerable: true,
  configurable: true,
};

/** Gives a kernel call input, which carries its abort under REQUEST_ABORT, its `signal`, made when first read. */
export function withLazySignal<T extends { readonly [REQUEST_ABORT]: RequestAbort }>(input: T): T & { readonly signal: AbortSignal } {
  return Object.defineProperty(input, 'signal', LAZY_SIGNAL) as T & { readonly signal: AbortSignal };
}

/**
 * Calls `listener` with the reason once `source` is aborted (at once if it already is); the
 * returned function stops listening. A provider call's input from the kernel is followed without
 * making its AbortSignal; anything else through its signal.
 */
export function followAbort(source: AbortSource, listener: (reason: unknown) => void): () => void {
  const kernel = (source as { readonly [REQUEST_ABORT]?: Followable })[REQUEST_ABORT];
  if (kernel !== undefined) return kernel.follow(listener);
  const signal = 'signal' in source ? source.signal : source;
  if (signal.aborted) {
    listener(signal.reason);
    return NOTHING_TO_UNDO;
  }
  const onAbort = () => listener(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
