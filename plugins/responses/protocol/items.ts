/**
 * Input items as the gateway keeps and replays them. OpenAI lists a response's input as items with
 * ids, messages holding lists of parts (`ResponseItem`, `ResponseInputMessageItem` in openai-node
 * `src/resources/responses/responses.ts`), so the stored copy of a request's input is normalized
 * that way; the client's own body is never changed.
 */
import { gatewaySummary, isCompactionTrigger, readableByOpenAI } from './compaction.js';
import { newId } from './ids.js';
import { isGatewayReasoning } from './reasoning.js';
import type { ResponseInputItem, ResponseItemReference, ResponseMessageItem } from './types.js';

/** `input` as a list of items: a string is one user message. */
export function inputItems(input: string | readonly ResponseInputItem[] | undefined): ResponseInputItem[] {
  if (input === undefined) return [];
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return [...input];
}

/** `{type: 'item_reference', id}`, or an item with only an id (the type may be left out). */
export function isItemReference(item: ResponseInputItem): item is ResponseItemReference {
  if (item.type === 'item_reference') return true;
  return (item.type === undefined || item.type === null) && !('role' in item) && typeof item.id === 'string';
}

/** The item as the store keeps it: with an id, a message's content as a list of parts. */
export function storedItem(item: ResponseInputItem): ResponseInputItem {
  const type = item.type ?? 'message';
  if (type === 'message') {
    const message = item as ResponseMessageItem;
    const content = typeof message.content === 'string' ? [message.role === 'assistant' ? { type: 'output_text', text: message.content, annotations: [] } : { type: 'input_text', text: message.content }] : message.content;
    return { ...message, type: 'message', id: message.id ?? newId('msg'), content };
  }
  if (typeof item.id === 'string' && item.id !== '') return item;
  return { ...item, id: newId(type === 'function_call' ? 'fc' : type === 'reasoning' ? 'rs' : 'item') };
}

/**
 * Earlier turns as an OpenAI upstream should receive them in a request's `input`, the gateway having
 * expanded `previous_response_id` itself (the id is the gateway's, unknown upstream). Items go
 * without their ids, as plain input: OpenAI looks up items by id, and ties a call or message it made
 * to the reasoning item that led to it. Reasoning items go only when they carry OpenAI's own
 * `encrypted_content` (self-contained); the gateway's (another provider's thinking) and bare ones
 * are left out. The gateway's compaction items go as the message with their summary, and the
 * triggers that asked for compactions are left out.
 */
export function forNativeHistory(items: readonly ResponseInputItem[]): ResponseInputItem[] {
  const out: ResponseInputItem[] = [];
  for (const item of items) {
    if (item.type === 'reasoning') {
      const encrypted = (item as { encrypted_content?: unknown }).encrypted_content;
      if (typeof encrypted === 'string' && encrypted !== '' && !isGatewayReasoning(encrypted)) out.push(item);
      continue;
    }
    // An earlier request's trigger: what it asked for is the compaction item after it.
    if (isCompactionTrigger(item)) continue;
    out.push(withoutId(readableByOpenAI(item)));
  }
  return out;
}

/** The item without its id: for an upstream or a client to whom the gateway's ids name nothing. */
export function withoutId(item: ResponseInputItem): ResponseInputItem {
  const { id: _id, ...rest } = item;
  return rest as ResponseInputItem;
}

/** True when an OpenAI upstream cannot take `items` as written: one is a compaction the gateway made. */
export function holdsGatewayCompaction(items: readonly ResponseInputItem[]): boolean {
  return items.some((item) => item.type === 'compaction' && gatewaySummary(item) !== undefined);
}
