/**
 * Pass-through of an OpenAI-format upstream's stream: each chunk the adapter decodes remembers the
 * event text it was parsed from, and the chat completions front-end writes that text back instead
 * of serialising the chunk again (JSON.stringify of every chunk was most of a stream's CPU cost).
 *
 * A plugin that changes a chunk yields a new object (docs/plugins.md: "Wrap a stream"), which has
 * no raw text, so it is serialised as changed: the text is found by the chunk's identity, never
 * carried on the chunk, so a spread copy (`{ ...chunk, choices }`) does not bring the original's
 * text along.
 *
 * Kept in a small ring of the chunks decoded last, not in a WeakMap keyed by chunk: a WeakMap
 * entry per chunk, with its garbage collection (its entries are ephemerons), cost a stream without
 * plugins 13 µs of CPU at 11 chunks and 105 µs at 203 (pinned A/B, docs/performance-history.md), the ring
 * almost nothing. A stream is pulled one chunk at a time, so
 * the chunk a front-end writes was decoded moments before, in the same run of microtasks; the
 * ring's 64 places leave room for held preamble and for other streams decoding meanwhile. A chunk
 * that fell out of the ring (preamble held for seconds) is serialised, which is only slower.
 */
import type { ChatCompletionChunk } from 'llm-gateway/plugin';
import { AS_PARSED, type UnparsedChunk } from 'llm-gateway/provider-kit';
import { deltaChoices } from './delta-choices.js';

const PLACES = 64;
const chunks: Array<ChatCompletionChunk | undefined> = new Array(PLACES);
const texts: Array<string | undefined> = new Array(PLACES);
let newest = PLACES - 1;

export function rememberRaw(chunk: ChatCompletionChunk, data: string): void {
  newest = (newest + 1) % PLACES;
  chunks[newest] = chunk;
  texts[newest] = data;
}

/**
 * A chunk the adapter handed over without parsing it, once the stream's only readers are the kernel,
 * the chat completions front-end and taps that read chunks in place, or while priming holds it
 * (`PassThroughHint`). It stands for an event with neither usage nor an error (those are parsed),
 * and carries its upstream text, which the front-end writes as it is. Its fields are read on
 * demand: `choices` from the text when its one choice only adds text or only finishes
 * (delta-choices.ts, a fraction of a parse), else from a parse of the whole event, as are `id`,
 * `object`, `created` and `model`. Nothing is parsed for a stream nobody reads. A vendor's field is
 * only in `toJSON()` and `[AS_PARSED]()`; a spread copy has none of them, which is why no reader
 * that may copy one is given one.
 */
export class PassedChunk implements ChatCompletionChunk, UnparsedChunk<ChatCompletionChunk> {
  /** None: an event with usage is parsed whole (chat.ts). A field, so that reading it parses nothing. */
  readonly usage = undefined;
  [field: string]: unknown;
  readonly #parse: (data: string) => ChatCompletionChunk;
  #choices: ChatCompletionChunk['choices'] | undefined;
  #whole: ChatCompletionChunk | undefined;

  /** `parse` reads the event's text as the adapter reads any event: checked, failing with the provider's name. */
  constructor(
    readonly raw: string,
    parse: (data: string) => ChatCompletionChunk,
  ) {
    this.#parse = parse;
  }

  get choices(): ChatCompletionChunk['choices'] {
    return (this.#choices ??= deltaChoices(this.raw) ?? this.whole().choices);
  }
  get id(): string {
    return this.whole().id;
  }
  get object(): 'chat.completion.chunk' {
    return this.whole().object;
  }
  get created(): number {
    return this.whole().created;
  }
  get model(): string {
    return this.whole().model;
  }
  toJSON(): ChatCompletionChunk {
    return this.whole();
  }
  /** The plain chunk, for readers that may copy or keep it, when priming held this one and pass-through was refused: written as its text while unchanged. */
  [AS_PARSED](): ChatCompletionChunk {
    const whole = this.whole();
    rememberRaw(whole, this.raw);
    return whole;
  }

  private whole(): ChatCompletionChunk {
    return (this.#whole ??= this.#parse(this.raw));
  }
}

/** The upstream's own `data:` text for a chunk nobody replaced; undefined otherwise. */
export function rawOf(chunk: ChatCompletionChunk): string | undefined {
  if (chunk instanceof PassedChunk) return chunk.raw;
  // Newest first: the chunk being written is nearly always the one decoded last.
  for (let back = 0, at = newest; back < PLACES; back++, at = at === 0 ? PLACES - 1 : at - 1) {
    if (chunks[at] === chunk) return texts[at];
  }
  return undefined;
}
