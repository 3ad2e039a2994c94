/**
 * Marks a stream carries through the wrappers that keep its meaning: whether it may still be passed
 * through unparsed, and whether its first meaningful chunk is already in hand.
 */
import type { PassThroughHint } from './providers/provider.js';

/**
 * Marks a stream whose chunks are only read where they are (the provider call's own observer over
 * an adapter's stream), with the request's pass-through hint: with nothing else wrapped around it
 * by the time the front-end writes it, the adapter may pass the rest through unparsed (see
 * `PassThroughHint`), and priming it may hold a preamble the adapter did not parse
 * (core/unparsed-preamble.ts). `primeStream` keeps the mark, since it reads only the preamble, and
 * so does a `tapStream` tap without a `chunk` callback or with `lazyChunks`; any other wrapper (a
 * tap that may keep chunks, a generator) drops it, as its result is a new iterable.
 */
const PASSABLE: unique symbol = Symbol('llm-gateway.passable');

type Passable = { [PASSABLE]?: PassThroughHint };

export function markPassable<S extends AsyncIterable<unknown>>(chunks: S, hint: PassThroughHint): S {
  (chunks as Passable)[PASSABLE] = hint;
  return chunks;
}

/** The hint of the request whose stream this is, if the stream is marked passable. */
export function passableHint(chunks: AsyncIterable<unknown>): PassThroughHint | undefined {
  return (chunks as Passable)[PASSABLE];
}

export function isPassable(chunks: AsyncIterable<unknown>): boolean {
  return (chunks as Passable)[PASSABLE] !== undefined;
}

/**
 * Marks a stream whose first meaningful chunk is already in hand (`primeStream` with its default
 * meaning): priming it again would only replay it. A `tapStream` tap keeps the mark, since it
 * neither holds nor changes chunks; any other wrapper drops it. So the retry's priming, inside its
 * loop, is the one the front-end's exchange uses, taps between them or not.
 */
const PRIMED: unique symbol = Symbol('llm-gateway.primed');

type Primed = { [PRIMED]?: true };

export function isPrimed(chunks: AsyncIterable<unknown>): boolean {
  return (chunks as Primed)[PRIMED] === true;
}

export function markPrimed(chunks: AsyncIterable<unknown>): void {
  (chunks as Primed)[PRIMED] = true;
}

/**
 * Marks a stream whose chunks are the provider's own, as its adapter yielded them: none changed,
 * added, dropped or held back by a plugin. The provider call sets it; taps keep it (they only
 * watch), and so does priming (it only holds); `mapStream` and any other wrapper (a generator)
 * drop it, as their result is a new iterable. Only such a stream may be answered with the
 * upstream's own events (native pass-through, `nativeOf`): past a map they would say what the map
 * replaced, and Responses' closing events repeat the whole text. Checked once per stream, before
 * its first chunk; keyed by `Symbol.for`, as front-ends from another copy of the package read it.
 */
const UNCHANGED: unique symbol = Symbol.for('llm-gateway.unchanged-chunks');

type Unchanged = { [UNCHANGED]?: true };

export function markUnchanged<S extends AsyncIterable<unknown>>(chunks: S): S {
  (chunks as Unchanged)[UNCHANGED] = true;
  return chunks;
}

/** Whether the stream's chunks are still the provider's own (see UNCHANGED): whether a front-end may replay their native events. */
export function chunksUnchanged(chunks: AsyncIterable<unknown>): boolean {
  return (chunks as Unchanged)[UNCHANGED] === true;
}
