/**
 * Whether an OpenAI-format stream reached the end of its answer: with several choices (`n`, or a
 * text completion's prompts × `n`), once each has its finish reason; with one, at its first. A
 * stream that ends before is cut short, whatever its transport said.
 */
export class FinishedChoices {
  /** The answer is complete: every choice finished (or `[DONE]` said so). */
  done = false;
  private readonly seen: Set<unknown> | undefined;

  constructor(private readonly expected: number) {
    this.seen = expected > 1 ? new Set<unknown>() : undefined;
  }

  /** Notes the finish reasons among a chunk's choices. */
  note(choices: unknown): void {
    if (!Array.isArray(choices)) return;
    for (const choice of choices as ReadonlyArray<{ index?: number; finish_reason?: unknown }>) {
      if (!choice.finish_reason) continue;
      if (this.seen === undefined || this.seen.add(choice.index ?? 0).size >= this.expected) this.done = true;
    }
  }
}
