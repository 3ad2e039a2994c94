/**
 * Which call a streamed tool-call delta belongs to. OpenAI numbers each call (`index`, on every
 * delta) and names it (`id`, on its first); not every OpenAI-compatible host does: Ollama numbers
 * every call 0, and Gemini's endpoint leaves `index` out, both sending each call whole with its own
 * `id`. Keyed by `index` alone, their parallel calls became one call whose arguments were two JSON
 * texts run together. Here a delta continues the call its index names (the last one, without an
 * index) unless it carries another id; calls are numbered 0, 1, … in the order they begin.
 */
export class StreamedToolCalls {
  private readonly byIndex = new Map<number, number>();
  private readonly ids: Array<string | undefined> = [];
  private last = -1;

  /** The call's number: 0 for the first call of the answer, and so on. */
  callOf(delta: { index?: number | undefined; id?: string | null | undefined }): number {
    const id = delta.id || undefined; // an empty id names no call
    const known = delta.index === undefined ? this.last : (this.byIndex.get(delta.index) ?? -1);
    if (known >= 0 && (id === undefined || this.ids[known] === undefined || this.ids[known] === id)) {
      if (id !== undefined) this.ids[known] = id;
      this.last = known;
      return known;
    }
    const call = this.ids.push(id) - 1;
    if (delta.index !== undefined) this.byIndex.set(delta.index, call);
    this.last = call;
    return call;
  }
}
