/**
 * How a shared store has been answering, for core/store/bounded-counters.ts: after a failure the
 * store is quiet for a second (adds and bucket takes are answered locally at once, where a
 * request's several calls on a stalled store had waited 250 ms each in turn: about 1 s), and
 * failures are logged at most once a minute.
 */
import type { Logger } from '../logger.js';
import { rarely } from '../rarely.js';

export interface StoreHealth {
  /** Calls that failed or timed out and were answered locally. */
  readonly failures: number;
  readonly lastError: string | undefined;
  /** Calls whose fate nobody could learn, settled on the stricter side (core/store/bounded-counters.ts). */
  readonly unknownFates: number;
}

export class StoreFailures {
  private failures = 0;
  private lastError: string | undefined;
  private quietUntil = 0;
  private unknownFates = 0;
  private readonly logRarely = rarely<'failing' | 'unknown fate'>();

  constructor(private readonly logger: Logger) {}

  get health(): StoreHealth {
    return { failures: this.failures, lastError: this.lastError, unknownFates: this.unknownFates };
  }

  /** A call failed within the last second: answer locally rather than wait for the store again. */
  get quiet(): boolean {
    return Date.now() < this.quietUntil;
  }

  /** The store answered: it is asked again from now on. */
  answered<T>(value: T): T {
    this.quietUntil = 0;
    return value;
  }

  failed(error: Error): void {
    this.quietUntil = Date.now() + 1000;
    this.failures++;
    this.lastError = error.message;
    this.logRarely('failing', () => this.logger.warn('the state store is failing; counting in this process until it is back', { error: error.message, failures: this.failures }));
  }

  /** A call of unknown fate was settled on the stricter side: a limit reached early, or money not given back. */
  unknownFate(key: string, amount: number): void {
    this.unknownFates++;
    this.logRarely('unknown fate', () => this.logger.warn('a counter update may or may not have reached the state store; settled on the stricter side', { key, amount, unknownFates: this.unknownFates }));
  }
}
