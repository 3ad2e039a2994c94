/**
 * Typed slots: where a plugin keeps data of its own on a request's context (`ctx.set(slot, value)`)
 * for itself and for the plugins that import its slot.
 */

/** A typed key for plugin data on the context; see `defineSlot`. */
export interface Slot<T> {
  readonly key: symbol;
  readonly name: string;
  /** Phantom field: carries T for type inference only. */
  readonly __type?: T;
}

/**
 * Declares a typed slot. The plugin that owns the data exports the slot; others import it. The key
 * is `Symbol.for` its name, so a plugin package that resolves its own copy of `llm-gateway` still
 * meets the same slot: name it after your plugin (`request-tagger:tags`) to keep it yours.
 * @example
 * export const tagsSlot = defineSlot<string[]>('request-tagger:tags');
 * ctx.set(tagsSlot, ['batch']); const tags = ctx.get(tagsSlot); // string[] | undefined
 */
export function defineSlot<T>(name: string): Slot<T> {
  return { key: Symbol.for(`llm-gateway.slot:${name}`), name };
}
