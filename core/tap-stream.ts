/**
 * Taps: watching a stream go by without changing it (counting, keeping text, acting at its end).
 *
 * A tap over a tap is folded into it: a tap wraps a stream nobody reads yet, so rather than a
 * second layer (one more promise and reaction for every chunk, and its closures for as long as the
 * stream is held) the outer tap joins the inner one's list, over the same source. The full
 * pipeline taps each stream four times (the provider call's observer and the rate limiter inside a
 * try, the usage log and the token counter outside the retry's priming): two layers instead of
 * four. The folded list behaves as the nested layers would, tap by tap (see `TappedStream`).
 */
import { isPassable, isPrimed, markPassable, markPrimed } from './stream-marks.js';

export interface StreamTap<T> {
  /** Sees each chunk as it passes; nothing is held back. A throw ends the stream with that error. */
  chunk?(chunk: T): void;
  /**
   * `chunk` only reads chunks' named fields (`choices`, `usage`, `id`…) while it runs: it never
   * copies, spreads or keeps one. Chunks an adapter did not parse yet, whose fields are read on
   * demand, may then reach it, and the stream may still be passed through (the OpenAI-format
   * adapter parses only what such taps read, often only the answer's text: docs/plugins.md).
   */
  lazyChunks?: boolean;
  /**
   * Runs once when the stream is over, however it ended: finished (`error` undefined), failed, or
   * let go by its reader (a client that left). The reader learns of the end after it has run.
   */
  end?(error: unknown): void | PromiseLike<unknown>;
  /** What the reader gets instead of the source's error (and what `end` sees). */
  mapError?(error: unknown): unknown;
}

/**
 * Watches a stream without wrapping it in an async generator: each generator layer costs a stream
 * about as much as a plugin's whole bookkeeping (measured: one layer, ~90 µs of CPU per streamed
 * request under load), while this adds one promise reaction per chunk, and none when it is folded
 * into a tap below it. For plugins that only need to see chunks go by and to act when the stream
 * is over; a plugin that changes, adds or holds chunks still writes its own generator.
 *
 * Read the returned stream, not the one tapped: a tap folded into another hands its reading over
 * to it, and reading it afterwards is an error rather than a stream that skips the outer tap.
 */
export function tapStream<T>(chunks: AsyncIterable<T>, tap: StreamTap<T>): AsyncIterable<T> {
  const tapped = chunks instanceof TappedStream && chunks.foldable() ? chunks.foldInto(tap) : new TappedStream(chunks, [tap]);
  // A tap that only waits for the end (a rate limiter's slot) reads no chunk, and one with
  // lazyChunks reads them in place: the stream may still be passed through.
  if (isPrimed(chunks)) markPrimed(tapped);
  if ((tap.chunk === undefined || tap.lazyChunks === true) && isPassable(chunks)) markPassable(tapped);
  return tapped;
}

/** How a stream's end is passed from tap to tap, innermost first. */
interface Outcome {
  readonly failed: boolean;
  readonly error: unknown;
}

/** Finished, or let go by its reader. */
const ENDED_WELL: Outcome = { failed: false, error: undefined };

/**
 * One layer over a source with its taps in order, innermost first, as nested layers would run
 * them: each chunk is shown to every tap in turn; at the end each tap's `end` runs once, in turn,
 * after the one inside it; a failure reaches each tap through its `mapError`, and an `end` that
 * throws is the failure the taps outside it see. A tap that throws on a chunk lets the source go:
 * the taps inside it end as let go, it and the taps outside it end with its error.
 */
class TappedStream<T> implements AsyncIterable<T>, AsyncIterator<T> {
  private reading: 'not yet' | 'reading' | 'folded' = 'not yet';
  private iterator: AsyncIterator<T> | undefined;
  /** How many taps, from the innermost, have had their `end` run. */
  private ended = 0;

  constructor(
    private readonly source: AsyncIterable<T>,
    private readonly taps: ReadonlyArray<StreamTap<T>>,
  ) {}

  foldable(): boolean {
    return this.reading === 'not yet';
  }

  foldInto(tap: StreamTap<T>): TappedStream<T> {
    this.reading = 'folded';
    return new TappedStream(this.source, [...this.taps, tap]);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.reading === 'folded') throw new Error('This stream was tapped again: read the stream tapStream returned, which shows every chunk to this tap too.');
    if (this.reading === 'not yet') {
      this.reading = 'reading';
      this.iterator = this.source[Symbol.asyncIterator]();
    }
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    return this.iterator!.next().then(this.onResult, this.onFailure);
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    const iterator = this.iterator!;
    const letGo = iterator.return ? iterator.return(value) : Promise.resolve<IteratorResult<T>>({ done: true, value: undefined });
    return letGo.then(this.onEnd, this.onFailure);
  }

  // Made once per stream, not per chunk: a held stream's garbage is mostly what each chunk makes.
  private readonly onResult = (result: IteratorResult<T>): IteratorResult<T> | Promise<IteratorResult<T>> => {
    if (result.done) return this.onEnd(result);
    const taps = this.taps;
    for (let i = 0; i < taps.length; i++) {
      const tap = taps[i]!;
      if (tap.chunk === undefined) continue;
      try {
        tap.chunk(result.value);
      } catch (error) {
        return this.tapThrew(i, error);
      }
    }
    return result;
  };

  /** The source is over, or was let go: every tap ends, then the reader learns of it. */
  private readonly onEnd = (result: IteratorResult<T>): Promise<IteratorResult<T>> => this.endTaps(0, ENDED_WELL).then((outcome) => (outcome.failed ? Promise.reject(outcome.error as Error) : result));

  private readonly onFailure = (cause: unknown): Promise<never> => this.endTaps(0, { failed: true, error: cause }).then((outcome) => Promise.reject(outcome.error as Error));

  /** As a generator would: the source is let go, then the reader gets the error. */
  private async tapThrew(index: number, error: unknown): Promise<never> {
    try {
      await this.iterator!.return?.();
    } catch {
      // The tap's error is what the reader gets.
    }
    // The taps inside the one that threw saw a reader that let go; what their ends say is lost, as
    // it was to the layer outside them that threw.
    await this.endTaps(0, ENDED_WELL, index);
    const outcome = await this.endTaps(index, { failed: true, error });
    throw outcome.error;
  }

  /** Runs the `end` of taps [from, to), each once, passing the outcome outwards. */
  private async endTaps(from: number, outcome: Outcome, to = this.taps.length): Promise<Outcome> {
    for (let i = from; i < to; i++) {
      const tap = this.taps[i]!;
      if (outcome.failed && tap.mapError) {
        try {
          outcome = { failed: true, error: tap.mapError(outcome.error) };
        } catch (thrown) {
          outcome = { failed: true, error: thrown };
        }
      }
      if (i < this.ended) continue;
      this.ended = i + 1;
      try {
        await tap.end?.(outcome.failed ? outcome.error : undefined);
      } catch (thrown) {
        outcome = { failed: true, error: thrown };
      }
    }
    return outcome;
  }
}
