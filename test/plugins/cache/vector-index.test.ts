import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64, VectorIndex } from '../../../plugins/cache/vector-index.js';

const unit = (...values: number[]) => {
  const norm = Math.hypot(...values);
  return Float32Array.from(values.map((v) => v / norm));
};

describe('vector index', () => {
  it('finds the nearest entry of a partition with its cosine similarity, and only of that partition', async () => {
    const index = await VectorIndex.create();
    index.add('p1', 'a', unit(1, 0, 0));
    index.add('p1', 'b', unit(0, 1, 0));
    index.add('p2', 'c', unit(1, 0, 0));
    const [first] = index.nearest('p1', unit(0.96, 0.28, 0));
    expect(first?.id).toBe('a');
    expect(first?.similarity).toBeCloseTo(0.96, 3); // half precision in the index
    expect(index.nearest('p3', unit(1, 0, 0))).toEqual([]);
    expect(index.nearest('p2', unit(1, 0, 0)).map((n) => n.id)).toEqual(['c']);
  });

  it('forgets removed entries, and never compares vectors of other dimensions', async () => {
    const index = await VectorIndex.create();
    index.add('p', 'a', unit(1, 0, 0));
    index.add('p', 'b', unit(0.9, 0.1, 0));
    index.remove('a');
    expect(index.nearest('p', unit(1, 0, 0)).map((n) => n.id)).toEqual(['b']);
    index.add('p', 'wide', unit(1, 0, 0, 0));
    expect(index.size).toBe(1);
    expect(index.nearest('p', unit(1, 0, 0, 0))).toEqual([]);
    index.remove('b');
    expect(index.size).toBe(0);
  });

  it('round-trips vectors through base64', () => {
    const vector = Float32Array.from([0.1, -2, 3.5]);
    expect(fromBase64(toBase64(vector))).toEqual(vector);
  });
});
