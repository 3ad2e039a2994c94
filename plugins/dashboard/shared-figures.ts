/**
 * Figures a page shows, shared while they are computed and for a while after they are in, so
 * that open tabs refreshing, and a page made again after each action, do not begin the same
 * queries again (over a month of a large log they take seconds, longer than a refresh). How long
 * is `shareMs` of the figures and of what they took; 0, or a computation that failed, is not
 * shared past its end. Keyed by what the figures are of; past `maxKeys` the oldest key goes.
 */
export class SharedFigures<T> {
  private readonly recent = new Map<string, { until: number; figures: Promise<T> }>();

  constructor(
    private readonly shareMs: (figures: T, tookMs: number) => number,
    private readonly maxKeys: number,
  ) {}

  of(key: string, compute: () => Promise<T>): Promise<T> {
    const began = Date.now();
    const hit = this.recent.get(key);
    if (hit && hit.until > began) return hit.figures;
    const shared = { until: Infinity, figures: compute() };
    this.recent.delete(key);
    this.recent.set(key, shared);
    if (this.recent.size > this.maxKeys) this.recent.delete(this.recent.keys().next().value!);
    const forget = () => void (this.recent.get(key) === shared && this.recent.delete(key));
    shared.figures.then((figures) => {
      const ms = this.shareMs(figures, Date.now() - began);
      if (ms > 0) shared.until = Date.now() + ms;
      else forget();
    }, forget);
    return shared.figures;
  }
}
