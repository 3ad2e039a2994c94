/**
 * Label values that come from outside a fixed set (models, keys, teams) are kept to a bounded
 * number per label: each new series costs Prometheus memory forever, and a client choosing model
 * names must not be able to grow it without end. Values past the cap are reported as `other`.
 */
export const OTHER = 'other';

export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly cap: number) {}

  value(raw: string | undefined | null): string {
    if (raw === undefined || raw === null || raw === '') return 'none';
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.cap) return OTHER;
    this.seen.add(raw);
    return raw;
  }
}
