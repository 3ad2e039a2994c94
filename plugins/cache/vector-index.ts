/**
 * The in-process nearest-neighbour index of the semantic cache: one HNSW graph (usearch, a
 * maintained N-API library with prebuilt binaries inside its npm package) per partition, so a
 * search only ever looks at requests that may share an answer (same scope, model, system prompt,
 * tools, response format). Brute force over 10k entries of 1536 dimensions costs milliseconds per
 * lookup; the graph answers in microseconds (bench/cache.ts, docs/performance.md).
 *
 * Loaded on first use: a gateway without the semantic cache never loads the native module.
 */
import type { Index as UsearchIndex } from 'usearch';

type Usearch = typeof import('usearch').default;
let library: Promise<Usearch> | undefined;
const loadUsearch = () => (library ??= import('usearch').then((module) => module.default));

export interface Neighbour {
  id: string;
  similarity: number;
}

interface Partition {
  index: UsearchIndex;
  dimensions: number;
  ids: Map<bigint, string>;
}

export class VectorIndex {
  private readonly partitions = new Map<string, Partition>();
  private readonly labels = new Map<string, { partition: string; label: bigint }>();
  private next = 1n;

  private constructor(private readonly usearch: Usearch) {}

  static async create(): Promise<VectorIndex> {
    return new VectorIndex(await loadUsearch());
  }

  get size(): number {
    return this.labels.size;
  }

  add(partition: string, id: string, vector: Float32Array): void {
    this.remove(id);
    let part = this.partitions.get(partition);
    if (part && part.dimensions !== vector.length) return; // another embeddings model's vectors: never comparable
    if (!part) {
      const { Index, MetricKind, ScalarKind } = this.usearch;
      // Half precision: half the memory and faster distances; cosine stays within about 1e-5 on
      // embeddings (small components), far below any threshold's meaning. Queries are near
      // duplicates, so a small search expansion finds them (recall in bench/cache.ts).
      const index = new Index({ dimensions: vector.length, metric: MetricKind.Cos, quantization: ScalarKind.F16, connectivity: 16, expansion_add: 64, expansion_search: 32, multi: false });
      this.partitions.set(partition, (part = { index, dimensions: vector.length, ids: new Map() }));
    }
    const label = this.next++;
    part.index.add(label, vector, 1);
    part.ids.set(label, id);
    this.labels.set(id, { partition, label });
  }

  remove(id: string): void {
    const at = this.labels.get(id);
    if (!at) return;
    this.labels.delete(id);
    const part = this.partitions.get(at.partition);
    if (!part) return;
    part.index.remove(at.label);
    part.ids.delete(at.label);
    if (part.ids.size === 0) this.partitions.delete(at.partition);
  }

  /** The nearest entries of the partition, most similar first (cosine similarity). */
  nearest(partition: string, vector: Float32Array, count = 3): Neighbour[] {
    const part = this.partitions.get(partition);
    if (!part || part.dimensions !== vector.length) return [];
    const matches = part.index.search(vector, Math.min(count, part.ids.size), 1);
    const found: Neighbour[] = [];
    matches.keys.forEach((label, i) => {
      const id = part.ids.get(label);
      if (id !== undefined) found.push({ id, similarity: 1 - (matches.distances[i] ?? 1) });
    });
    return found;
  }
}

export function toBase64(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

export function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}
