/**
 * How an item, an end, a failure or a let-go passes through a run of maps and taps
 * (core/stream-stages.ts makes the run one stream): stage by stage, innermost first, as it passed
 * through nested layers.
 */
import type { StreamMapping } from './map-stream.js';
import type { StreamTap } from './tap-stream.js';

/** An item that gives the reader nothing: the next one is read instead. */
export const SKIP: unique symbol = Symbol('mapStream.skip');
/** The stream is complete here: the source is let go, and `end` runs as if the source had ended. */
export const STOP: unique symbol = Symbol('mapStream.stop');

export type Stage = { readonly tap: StreamTap<unknown>; readonly mapping?: undefined } | { readonly mapping: StreamMapping<unknown, unknown>; readonly tap?: undefined };

export type Result = IteratorResult<unknown>;
export type Settled = Result | Promise<Result>;

export const DONE: Result = { done: true, value: undefined };

/**
 * Where a reading is. A primed stream shares it with the stream it goes on reading: the late read
 * priming left pending (`primeStream`'s deadline) settles on the stream primed, and what it ends
 * or lets go must be seen by the one read after it.
 */
export interface Reading {
  readonly iterator: AsyncIterator<unknown>;
  /** Per stage: a tap whose `end` ran, a map that is over (unset: neither). */
  readonly finished: boolean[];
  /** The outermost map that is over, or -1. */
  overMap: number;
}

/**
 * A tap's `end` runs once, and a map is over once it has ended, failed or been let go; once a map
 * is over, the stages below it are too, and a read starts above it. What nested layers did by
 * asking the layer below, a stage here does by passing the item, the end or the failure on to the
 * next stage (`fromItem`, `fromEnd`, `fromFailure`), and a stage that lets go of what is below it
 * asks `letGoBelow`, which is the inner layers' `return`.
 */
export abstract class StageChain {
  /** Made when reading starts. */
  protected state: Reading | undefined;

  constructor(protected readonly stages: readonly Stage[]) {}

  /** The next item, end or failure, carried up through every stage above where it comes from (a map that skipped an item asks for it). */
  protected abstract read(): Settled;

  // Made once per stream, not per chunk: a held stream's garbage is mostly what each chunk makes.
  protected readonly onResult = (result: Result): Settled => this.fromResult(0, result);
  protected readonly onFailure = (cause: unknown): Promise<Result> => this.fromFailure(0, cause);

  /** An item or the end reaches stage `from`. */
  protected fromResult(from: number, result: Result): Settled {
    return result.done ? this.fromEnd(from, result) : this.fromItem(from, result.value, result);
  }

  /** An item reaches stage `from`; `result` is the source's own, passed on while no map changed it. */
  protected fromItem(from: number, value: unknown, result?: Result): Settled {
    const carried = this.carry(from, value, result);
    return carried === SKIP ? this.read() : carried;
  }

  /** `fromItem`, but an item a map skipped is SKIP, for the caller to read the next one its own way. */
  protected carry(from: number, value: unknown, result?: Result): Settled | typeof SKIP {
    const stages = this.stages;
    for (let i = from; i < stages.length; i++) {
      const { tap, mapping } = stages[i]!;
      if (tap !== undefined) {
        if (tap.chunk === undefined) continue;
        try {
          tap.chunk(value);
        } catch (error) {
          return this.failAt(i, error);
        }
        continue;
      }
      let mapped: unknown;
      try {
        mapped = mapping.item(value);
      } catch (cause) {
        // As a generator's loop would: what is below is let go, then the failure is handled.
        this.over(i);
        return this.letGoQuietly(i).then(() => this.mapFailed(i, cause));
      }
      if (mapped === SKIP) return SKIP;
      if (mapped === STOP) {
        this.over(i);
        return this.letGoQuietly(i).then(() => this.mapEnded(i));
      }
      value = mapped;
      result = undefined;
    }
    return result ?? { done: false, value };
  }

  /** The stages below `from` are over: each tap ends, each map gives its last item. Once a stream, never a chunk. */
  protected async fromEnd(from: number, result: Result): Promise<Result> {
    const stages = this.stages;
    for (let i = from; i < stages.length; i++) {
      if (stages[i]!.tap === undefined) return this.mapEnded(i);
      try {
        await this.endTap(i, undefined);
      } catch (thrown) {
        return this.fromFailure(i + 1, thrown);
      }
    }
    return result;
  }

  /** The stages below `from` failed with `error`: each tap maps it and ends with it, a map may turn it into a last item. */
  protected async fromFailure(from: number, error: unknown): Promise<Result> {
    const stages = this.stages;
    for (let i = from; i < stages.length; i++) {
      const { tap } = stages[i]!;
      if (tap === undefined) return this.mapFailed(i, error);
      error = this.mappedError(tap, error);
      try {
        await this.endTap(i, error);
      } catch (thrown) {
        error = thrown;
      }
    }
    throw error;
  }

  /**
   * Something failed at stage `index` (its tap threw, or a held chunk that reaches it does not
   * parse), as in a layer there: what is below it is let go, then it and the stages above it fail.
   */
  protected async failAt(index: number, error: unknown): Promise<Result> {
    await this.letGoQuietly(index);
    return this.fromFailure(index, error);
  }

  private mapEnded(index: number): Settled {
    this.over(index);
    let last: unknown;
    try {
      last = this.stages[index]!.mapping!.end?.();
    } catch (cause) {
      return this.mapFailed(index, cause);
    }
    return last === undefined ? this.fromEnd(index + 1, DONE) : this.fromItem(index + 1, last);
  }

  private mapFailed(index: number, cause: unknown): Settled {
    this.over(index);
    const mapping = this.stages[index]!.mapping!;
    if (mapping.error === undefined) return this.fromFailure(index + 1, cause);
    let last: unknown;
    try {
      last = mapping.error(cause);
    } catch (thrown) {
      return this.fromFailure(index + 1, thrown);
    }
    return last === undefined ? this.fromEnd(index + 1, DONE) : this.fromItem(index + 1, last);
  }

  /**
   * What `return` on the layer made of the stages below `below` did: a map that is over answers
   * done, one that is not lets go of what is below it; a tap passes the let-go down, then ends.
   */
  protected letGoBelow(below: number, value?: unknown): Promise<Result> {
    if (below === 0) {
      try {
        const iterator = this.state!.iterator;
        return iterator.return ? Promise.resolve(iterator.return(value)) : Promise.resolve(DONE);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const index = below - 1;
    const { tap } = this.stages[index]!;
    if (tap === undefined) {
      if (this.state!.finished[index]) return Promise.resolve(DONE);
      this.over(index);
      return this.letGoQuietly(index);
    }
    return this.letGoBelow(index, value).then(
      (result) => this.endTap(index, undefined, true).then(() => result),
      (cause: unknown) => {
        const error = this.mappedError(tap, cause);
        return this.endTap(index, error, true).then(() => Promise.reject(error as Error));
      },
    );
  }

  /** A map letting go of what is below it: whatever that says, the map goes on. */
  private letGoQuietly(below: number): Promise<Result> {
    return this.letGoBelow(below).then(toDone, toDone);
  }

  /** Runs a tap's `end` unless it ran (`letGo`: the reader let go first); rejects with what the end threw. */
  private async endTap(index: number, error: unknown, letGo = false): Promise<void> {
    const finished = this.state!.finished;
    if (finished[index]) return;
    finished[index] = true;
    await this.stages[index]!.tap!.end?.(error, letGo);
  }

  private mappedError(tap: StreamTap<unknown>, error: unknown): unknown {
    if (tap.mapError === undefined) return error;
    try {
      return tap.mapError(error);
    } catch (thrown) {
      return thrown;
    }
  }

  private over(index: number): void {
    const state = this.state!;
    state.finished[index] = true;
    if (index > state.overMap) state.overMap = index;
  }
}

const toDone = (): Result => DONE;
