/**
 * An embedding as the client asked for it. With `encoding_format: 'base64'` (the official openai
 * SDK asks for it whenever its caller names no format, then decodes every vector as base64 of
 * little-endian float32s) a vector is that string; some hosts (Ollama, LM Studio) ignore the field
 * and answer floats, which the SDK then decoded into garbage without an error.
 */
export function encodedEmbedding(values: readonly number[], format: unknown): number[] | string {
  return format === 'base64' ? Buffer.from(new Float32Array(values).buffer).toString('base64') : (values as number[]);
}
