import bytes from 'bytes';

/** `10485760`, `'10mb'`, `'512 kb'` → bytes. The schema already checked the shape. */
export function parseByteSize(value: number | string): number {
  const parsed = typeof value === 'number' ? value : bytes.parse(value);
  if (parsed === null || !Number.isFinite(parsed) || parsed <= 0) throw new Error(`not a byte size: ${String(value)}`);
  return parsed;
}
