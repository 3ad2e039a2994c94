/**
 * One layer for a run of maps and taps over a stream (`mapStream`, `tapStream`).
 *
 * Each wrapper around a stream costs every chunk a promise and its reaction, and every held stream
 * its closures; a streamed answer in the full pipeline was wrapped six times (the adapter decodes,
 * the provider call and the rate limiter tap, the usage log and the token counter tap, the
 * front-end encodes). A map or a tap over a stream of stages that nobody reads yet is added to its
 * list instead: one layer over the same source, whose stages see each chunk, each end and each
 * failure as nested layers would (test/core/stream-stages.test.ts compares the two at random).
 *
 * A stream primed before anyone read it (`primeStream`: the retry primes inside its loop, and the
 * plugins around it tap what it returns) stays one layer too: the primed stream goes on reading
 * where priming stopped, replays what priming held through the stages added after it, and takes
 * more stages. A layer of its own cost every event a promise and its reaction.
 */
import { DONE, type Reading, type Result, SKIP, type Settled, type Stage, StageChain } from './stream-stage-chain.js';
import { NEXT_READY, nextReady, type ReadyIterator } from './stream-ready.js';
import type { Release } from './unparsed-preamble.js';

export { SKIP, STOP, type Stage } from './stream-stage-chain.js';

/** A result priming read and holds, which passed the first `through` stages: the rest see it first. */
interface Held {
  readonly result: Settled;
  readonly through: number;
}

/** The stages run innermost first (core/stream-stage-chain.ts). */
export class StagedStream<T> extends StageChain implements AsyncIterable<T>, ReadyIterator<T> {
  private reading: 'not yet' | 'reading' | 'folded' = 'not yet';
  /** What priming held, until it has been read (oldest first). */
  private held: Held[] | undefined;
  /**
   * What an item taken in hand (`[NEXT_READY]`) led to when that was not an item: a tap or a map
   * that threw, a map that stopped. `next()` answers with it before reading on.
   */
  private stash: Promise<Result> | undefined;

  constructor(
    private readonly source: AsyncIterable<unknown>,
    stages: readonly Stage[],
    /** A primed stream's: the reading priming started, what it read, and how a held result is handed on (core/unparsed-preamble.ts). */
    private readonly resumed?: { readonly state: Reading; readonly held: readonly Held[]; readonly release?: Release },
  ) {
    super(stages);
  }

  /** A new stage joins, unless someone reads this stream already. */
  static over<T>(source: AsyncIterable<unknown>, stage: Stage): StagedStream<T> {
    if (source instanceof StagedStream && source.reading === 'not yet') {
      source.reading = 'folded';
      return new StagedStream<T>(source.source, [...source.stages, stage], source.resumed);
    }
    return new StagedStream<T>(source, [stage]);
  }

  /** Whether priming may read this stream and hand it on with `primedWith`: nobody reads it yet. */
  get unread(): boolean {
    return this.reading === 'not yet';
  }

  /**
   * This stream, read by priming (`results`, then `late` when the deadline left a read pending),
   * as a stream that goes on from there: one layer still, which takes more stages, and whose reader
   * gets what priming held first, through the stages added since.
   */
  primedWith(results: Array<IteratorResult<unknown>>, late?: Promise<IteratorResult<unknown>>, release?: Release): StagedStream<T> {
    if (this.state === undefined) throw new Error('primedWith: this stream was not read by priming.');
    this.reading = 'folded';
    const through = this.stages.length;
    const held: Held[] = results.map((result) => ({ result, through }));
    if (late !== undefined) held.push({ result: late, through });
    // Priming again with another meaning may stop before the last priming's held results are read:
    // they are still handed on as that priming said (a release changes only what priming left unparsed).
    if (this.held !== undefined) held.push(...this.held);
    return new StagedStream<T>(this.source, this.stages, { state: this.state, held, release: release ?? this.resumed?.release });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.reading === 'folded') throw new Error('This stream was mapped or tapped again: read the stream mapStream or tapStream returned, which runs this one too.');
    if (this.reading === 'not yet') {
      this.reading = 'reading';
      const resumed = this.resumed;
      if (resumed === undefined) {
        this.state = { iterator: this.source[Symbol.asyncIterator](), finished: [], overMap: -1 };
      } else {
        this.state = resumed.state;
        if (resumed.held.length > 0) this.held = [...resumed.held];
      }
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
   * for `next()`, so it reaches the reader after the items before it, as it did. What priming held
   * comes through `next()` too.
   */
  [NEXT_READY](): IteratorYieldResult<T> | undefined {
    const state = this.state;
    if (this.stash !== undefined || this.held !== undefined || state === undefined || state.overMap >= 0) return undefined;
    for (;;) {
      const taken = nextReady(state.iterator);
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
    const state = this.state!;
    const held = this.held;
    if (held !== undefined) {
      // Unless a map it would have reached is over: then, as a layer above the primed one, nothing below is read again.
      if (state.overMap < held[0]!.through) return this.replay(held);
      this.held = undefined;
    }
    if (state.overMap >= 0) return this.fromEnd(state.overMap + 1, DONE);
    return state.iterator.next().then(this.onResult, this.onFailure);
  }

  /** A result priming held, through the stages added since; the late read's failure too. */
  private replay(held: Held[]): Settled {
    const { result: settled, through: from } = held.shift()!;
    if (held.length === 0) this.held = undefined;
    if (settled instanceof Promise) {
      return settled.then(
        (result: Result) => this.fromResult(from, result),
        (cause: unknown) => this.fromFailure(from, cause),
      );
    }
    const release = this.resumed?.release;
    if (release === undefined) return this.fromResult(from, settled);
    let result: Result;
    try {
      result = release(settled);
    } catch (cause) {
      // A held chunk that does not parse: the stages it passed are let go, those after it fail.
      return this.failAt(from, cause);
    }
    return this.fromResult(from, result);
  }
}

const noop = (): void => undefined;
