/**
 * What was thrown, in words. JavaScript lets code throw anything, and a plugin, or a library it
 * calls, may throw a string, `undefined` or a plain object: reading `.message` off such a value
 * lost it, and reading `.name` off `undefined` threw a TypeError that named no plugin.
 */
export function thrownMessage(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message || thrown.name;
  if (typeof thrown === 'string') return thrown;
  if (typeof thrown === 'object' && thrown !== null && typeof (thrown as { message?: unknown }).message === 'string') return (thrown as { message: string }).message;
  let text: string;
  try {
    text = typeof thrown === 'object' && thrown !== null ? JSON.stringify(thrown) : String(thrown);
  } catch {
    text = Object.prototype.toString.call(thrown);
  }
  return `${text} was thrown`;
}

/** Whether what was thrown is an error of this name (`ConfigError`), without reading a property off `undefined`. */
export function thrownNamed(thrown: unknown, name: string): boolean {
  return typeof thrown === 'object' && thrown !== null && (thrown as { name?: unknown }).name === name;
}
