/**
 * One layer for a run of maps and taps over a stream (`mapStream`, `tapStream`).
 *
 * Each wrapper around a stream costs every chunk a promise and its reaction, and every held stream
 * its closures; a streamed answer in the full pipeline was wrapped six times (the adapter decodes,
 * the provider call and the rate limiter tap, the usage log and the token counter tap, the
 * front-end encodes). A map or a tap over a stream of stages that nobody reads yet is added to its
 * list instead: one layer over the same source, whose stages see each chunk, each end and each
 * failure as nested layers would (test/core/stream-stages.test.ts compares the two at random).
 */
import { DONE, SKIP, StagePassing, type Result, type Settled, type Stage } from './stage-passing.js';
import { NEXT_READY, nextReady, type ReadyIterator } from './stream-ready.js';

export { SKIP, STOP, type Stage } from './stage-passing.js';

/** One layer over `source` for its stages, innermost first (core/stage-passing.ts says what each does). */
export class StagedStream<T> extends StagePassing implements AsyncIterable<T>, ReadyIterator<T> {
  private reading: 'not yet' | 'reading' | 'folded' = 'not yet';
  /**
   * What an item taken in hand (`[NEXT_READY]`) led to when that was not an item: a tap or a map
   * that threw, a map that stopped. `next()` answers with it before reading on.
   */
  private stash: Promise<Result> | undefined;

  constructor(
    private readonly source: AsyncIterable<unknown>,
    stages: readonly Stage[],
  ) {
    super(stages);
  }

  /** A new stage joins, unless someone reads this stream already. */
  static over<T>(source: AsyncIterable<unknown>, stage: Stage): StagedStream<T> {
    if (source instanceof StagedStream && source.reading === 'not yet') {
      source.reading = 'folded';
      return new StagedStream<T>(source.source, [...source.stages, stage]);
    }
    return new StagedStream<T>(source, [stage]);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.reading === 'folded') throw new Error('This stream was mapped or tapped again: read the stream mapStream or tapStream returned, which runs this one too.');
    if (this.reading === 'not yet') {
      this.reading = 'reading';
      this.finished = this.stages.map(() => false);
      this.iterator = this.source[Symbol.asyncIterator]();
    }
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    const stashed = this.stash;
    if (stashed !== undefined) {
      this.stash = undefined;
      return stashed as Promise<IteratorResult<T>>;
    }
    return Promise.resolve(this.read()) as Promise<IteratorResult<T>>;
  }

  /**
   * The next item through every stage, when the source has one in hand (core/stream-ready.ts); an
   * item a map skips is passed over for the next one in hand. Anything else an item leads to waits
   * for `next()`, so it reaches the reader after the items before it, as it did.
   */
  [NEXT_READY](): IteratorYieldResult<T> | undefined {
    if (this.stash !== undefined || this.overMap >= 0 || this.iterator === undefined) return undefined;
    for (;;) {
      const taken = nextReady(this.iterator);
      if (taken === undefined) return undefined;
      const carried = this.carry(0, taken.value, taken);
      if (carried === SKIP) continue;
      if (carried instanceof Promise) {
        // Handled by whoever calls next(); a reader that lets go first never sees it.
        carried.catch(noop);
        this.stash = carried;
        return undefined;
      }
      return carried as IteratorYieldResult<T>;
    }
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    return this.letGoBelow(this.stages.length, value) as Promise<IteratorResult<T>>;
  }

  /**
   * The next item, end or failure from below the outermost map that is over (from the source when
   * none is), carried up through every stage above. For the reader, and for a map that skipped an
   * item (the maps below it being over or not, the next one comes from the same place).
   */
  protected read(): Settled {
    if (this.overMap >= 0) return this.fromEnd(this.overMap + 1, DONE);
    return this.iterator!.next().then(this.onResult, this.onFailure);
  }

  // Made once per stream, not per chunk: a held stream's garbage is mostly what each chunk makes.
  private readonly onResult = (result: Result): Settled => (result.done ? this.fromEnd(0, result) : this.fromItem(0, result.value, result));
  private readonly onFailure = (cause: unknown): Promise<Result> => this.fromFailure(0, cause);
}

const noop = (): void => undefined;
