/**
 * Pass-through of an OpenAI-format upstream's stream: each chunk the adapter decodes remembers the
 * event text it was parsed from, and the chat completions front-end writes that text back instead
 * of serialising the chunk again (JSON.stringify of every chunk was most of a stream's CPU cost).
 *
 * A plugin that changes a chunk yields a new object (docs/plugins.md: "Wrap a stream"), which has
 * no raw text, so it is serialised as changed. Kept in a WeakMap, not on the chunk: a spread copy
 * (`{ ...chunk, choices }`) must not carry the original's text along.
 */
import type { ChatCompletionChunk } from 'llm-gateway/plugin';

const RAW = new WeakMap<ChatCompletionChunk, string>();

export function rememberRaw(chunk: ChatCompletionChunk, data: string): void {
  RAW.set(chunk, data);
}

/** The upstream's own `data:` text for a chunk nobody replaced; undefined otherwise. */
export function rawOf(chunk: ChatCompletionChunk): string | undefined {
  return RAW.get(chunk);
}
