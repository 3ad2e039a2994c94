/**
 * Compaction: a client whose context is filling up ends its input with a `compaction_trigger` item
 * and gets back one `compaction` item that stands for the conversation so far
 * (https://developers.openai.com/api/docs/guides/compaction; Codex CLI does this with OpenAI as its
 * provider, and fails its turn when the answer holds anything else). OpenAI's item is opaque and
 * only OpenAI reads it. For every other provider the gateway asks the model for a handoff summary
 * and carries it in the item, marked as its own, as reasoning.ts does with thinking: when the item
 * comes back in a later turn, a chat model reads the summary as a user message, and an OpenAI
 * upstream is sent that message in the item's place.
 */
import { GatewayError } from 'llm-gateway/plugin';
import { newId } from './ids.js';
import type { ResponseCompactionItem, ResponseInputItem, ResponseMessageItem, ResponseObject } from './types.js';

const PREFIX = 'llm-gateway.compaction.v1:';

/** What the model is asked, after the conversation, in place of the trigger. */
export const COMPACTION_PROMPT = [
  'Context checkpoint: the conversation above will be replaced by a summary, and another model will carry on from that summary alone.',
  'Write the summary now as a handoff note: the goal and every requirement the user stated; what has been done and decided, with the files, commands, identifiers, results and errors that matter; what is in progress; and the next steps.',
  'Be complete but concise. Write only the summary; call no tools.',
].join('\n');

/** How the summary is introduced when a later turn sends it back. */
export const SUMMARY_HEADING = 'A summary of the conversation so far, written when its earlier turns were compacted:';

/** True for the item that asks for a compaction. */
export function isCompactionTrigger(item: ResponseInputItem | undefined): boolean {
  return item?.type === 'compaction_trigger';
}

export function compactionItem(summary: string): ResponseCompactionItem {
  return { type: 'compaction', id: newId('cmp'), encrypted_content: PREFIX + Buffer.from(JSON.stringify({ summary }), 'utf8').toString('base64url') };
}

/** The summary in a compaction item the gateway made; undefined for OpenAI's and anything else. */
export function gatewaySummary(item: ResponseInputItem): string | undefined {
  if (item.type !== 'compaction') return undefined;
  const encrypted = (item as { encrypted_content?: unknown }).encrypted_content;
  if (typeof encrypted !== 'string' || !encrypted.startsWith(PREFIX)) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(encrypted.slice(PREFIX.length), 'base64url').toString('utf8')) as { summary?: unknown };
    return typeof payload?.summary === 'string' ? payload.summary : undefined;
  } catch {
    return undefined;
  }
}

/** The user message a summary is read as. */
export function summaryText(summary: string): string {
  return `${SUMMARY_HEADING}\n\n${summary}`;
}

/** The gateway's compaction item as a message an OpenAI upstream can read; any other item as it is. */
export function readableByOpenAI(item: ResponseInputItem): ResponseInputItem {
  const summary = gatewaySummary(item);
  if (summary === undefined) return item;
  const message: ResponseMessageItem = { type: 'message', role: 'user', content: [{ type: 'input_text', text: summaryText(summary) }] };
  return message;
}

/**
 * A finished response to a compaction request: its one output item is the compaction, holding the
 * text the model wrote. Undefined when it wrote none (it called a tool instead, or was cut off
 * before a word): such an answer cannot stand for the conversation.
 */
export function asCompaction(response: ResponseObject): ResponseObject | undefined {
  const text = response.output
    .flatMap((item) => (item.type === 'message' && Array.isArray(item.content) ? item.content : []))
    .map((part) => (part.type === 'output_text' && typeof part.text === 'string' ? part.text : ''))
    .join('')
    .trim();
  if (text === '') return undefined;
  return { ...response, status: 'completed', incomplete_details: null, output: [compactionItem(text)] };
}

/** The failure of a compaction whose answer held no summary (see `asCompaction`). */
export function compactionFailed(): never {
  throw new GatewayError('upstream', 'The model wrote no summary to compact the conversation into.', { code: 'compaction_failed', retryable: true });
}

/** The user messages kept before a compaction item: about 64,000 tokens, as Codex keeps. */
const RETAINED_CHARACTERS = 256_000;

/**
 * The user messages among `items`, the latest first, as many as fit in RETAINED_CHARACTERS, in their
 * order: what a compacted window keeps of the conversation besides its compaction item (OpenAI's
 * `CompactedResponse.output` is "a list of all user messages, followed by a single compaction item").
 */
export function retainedUserMessages(items: readonly ResponseInputItem[]): ResponseInputItem[] {
  const kept: ResponseInputItem[] = [];
  let left = RETAINED_CHARACTERS;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if ((item.type ?? 'message') !== 'message' || item.role !== 'user') continue;
    const size = JSON.stringify(item.content ?? '').length;
    if (size > left) break;
    left -= size;
    kept.push(item);
  }
  return kept.reverse();
}

/**
 * A stored conversation as it goes on after its latest compaction item: the user messages before
 * it, then the item and what followed. A follow-up naming a compacted response by
 * `previous_response_id` is thereby sent the compacted window, as OpenAI sends it, rather than the
 * whole conversation again with the summary after it.
 */
export function fromLatestCompaction(items: readonly ResponseInputItem[]): readonly ResponseInputItem[] {
  const at = items.findLastIndex((item) => item.type === 'compaction');
  return at < 0 ? items : [...retainedUserMessages(items.slice(0, at)), ...items.slice(at)];
}
