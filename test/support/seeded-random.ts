/**
 * Random test inputs that are the same on every run: a linear congruential generator (the
 * constants of C's `rand`), and a pick from a list with it.
 */
export function seededRandom(seed: number): { random: () => number; pick: <T>(items: readonly T[]) => T } {
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  return { random, pick };
}
