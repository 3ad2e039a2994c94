/**
 * A number for a record in a log several writers append to, drawn from a counter's sequence
 * (`counters.next`) until its place is free. On Redis the first draw is. On SQLite the counters
 * are saved a second behind: after a crash they come back a little low, and `llm-gateway keys`
 * beside a running gateway counts from what the gateway last saved; a number drawn there may
 * already hold a record, which writing would overwrite.
 */
import type { Counters } from './counters.js';

export async function drawFree(counters: Counters, sequence: string, taken: (number: number) => Promise<boolean>, maxDraws = 1_000): Promise<number> {
  for (let draw = 0; draw < maxDraws; draw++) {
    const number = await counters.next(sequence);
    if (!(await taken(number))) return number;
  }
  throw new Error(`no free place after ${maxDraws} draws from the '${sequence}' sequence`);
}
