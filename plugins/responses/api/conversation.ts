/**
 * The conversation a request continues: `previous_response_id` expanded into the earlier turns
 * (their input, then their output) and `item_reference`s replaced by the stored items they name,
 * for the caller's own responses only. Unknown, expired and other keys' ids are a 404 naming the
 * parameter, as OpenAI answers. Earlier turns that a compaction stands for are left out, but their
 * user messages (see protocol/compaction.ts).
 */
import type { Context as KoaContext } from 'koa';
import { invalidRequest, notFound, type NativeRequest } from 'llm-gateway/plugin';
import { authenticatedKey } from 'llm-gateway/plugins/auth';
import { fromLatestCompaction, readableByOpenAI } from '../protocol/compaction.js';
import { forNativeHistory, holdsGatewayCompaction, inputItems, isItemReference, storedItem } from '../protocol/items.js';
import { toChatRequest, type ChatTranslation, type PlacedItem } from '../protocol/to-chat-request.js';
import type { ResponseInputItem, ResponsesRequest } from '../protocol/types.js';
import type { ResponseStore, StoredResponse } from '../store/response-store.js';
import { nativeRequest } from './native-request.js';

/** Item references resolved per request: each is a store read. */
const MAX_REFERENCES = 1000;

export interface Conversation {
  /** Every item that leads to the answer, as the store keeps them (ids assigned). */
  readonly items: readonly ResponseInputItem[];
  /** Where this request's own input starts in `items`. */
  readonly turnStart: number;
  /** The stored response `items` begin with, whole and as it was, which the new one may link to. */
  readonly follows: StoredResponse | undefined;
  /** `items`, each with where it came from in the client's terms, for the translation's losses. */
  readonly placed: readonly PlacedItem[];
  /**
   * The `input` an OpenAI upstream should receive instead of the client's, when the client's names
   * something only the gateway knows (a previous response, a stored item); undefined otherwise.
   */
  readonly nativeInput: readonly ResponseInputItem[] | undefined;
}

/**
 * What every `/v1/responses…` front-end makes of a request: the conversation of the caller's key
 * loaded, its chat translation, and the body an upstream that speaks the Responses API is sent.
 */
export async function translatedConversation(request: ResponsesRequest, store: ResponseStore, http: KoaContext): Promise<{ owner: string | null; conversation: Conversation; translation: ChatTranslation; native: NativeRequest }> {
  const owner = authenticatedKey(http)?.id ?? null;
  const conversation = await loadConversation(request, store, owner);
  const translation = toChatRequest(request, conversation.placed);
  return { owner, conversation, translation, native: nativeRequest(request as unknown as Record<string, unknown>, conversation.nativeInput) };
}

export async function loadConversation(request: ResponsesRequest, store: ResponseStore, owner: string | null): Promise<Conversation> {
  let history: ResponseInputItem[] = [];
  let follows: StoredResponse | undefined;
  const previousId = request.previous_response_id;
  if (typeof previousId === 'string') {
    const previous = await store.load(previousId, owner);
    if (!previous) throw (await notKeptError(store, previousId, owner)) ?? notFound(`Previous response with id '${previousId}' not found.`, 'previous_response_not_found', 'previous_response_id');
    const before = await store.itemsBefore(previous, owner);
    if (!before) throw notFound(`Previous response with id '${previousId}' cannot be continued: an earlier response of its conversation was deleted or has expired.`, 'previous_response_not_found', 'previous_response_id');
    const whole = [...before, ...previous.response.output];
    const kept = fromLatestCompaction(whole);
    // Nothing cut (a compaction only drops items: the turns after one cut nothing more), the
    // conversation is the previous one's: the new turn can be kept as a link to it.
    const uncut = kept.length === whole.length;
    history = uncut ? whole : [...kept];
    if (uncut) follows = previous;
  }

  const input = inputItems(request.input);
  const referenced = input.filter((item) => isItemReference(item) || isBareReasoning(item)).map((item) => item.id as string);
  if (referenced.length > MAX_REFERENCES) {
    throw invalidRequest(`At most ${MAX_REFERENCES} item references can be resolved per request.`, 'input', 'too_many_item_references');
  }
  // Every reference resolved at once: each item looked up, and each record holding one read, once.
  const stored = referenced.length > 0 ? await store.findItems(referenced, owner) : new Map<string, ResponseInputItem>();
  const resolved = input.map((item, index) => {
    if (isBareReasoning(item)) {
      // A reasoning item sent back as the client was shown it (without `encrypted_content`,
      // which it did not ask for): the stored one carries what the next turn needs.
      const found = stored.get(item.id);
      return found?.type === 'reasoning' && !isBareReasoning(found) ? { item: found, referenced: true } : { item, referenced: false };
    }
    if (!isItemReference(item)) return { item, referenced: false };
    const found = stored.get(item.id as string);
    if (!found) throw notFound(`Item with id '${item.id}' not found.`, 'item_not_found', `input[${index}]`);
    return { item: found, referenced: true };
  });

  const own = resolved.map(({ item }) => storedItem(item));
  refuseDuplicates(history, own);
  const placed: PlacedItem[] = [...history.map((item, index) => ({ item, at: `previous_response_id.${index}` })), ...own.map((item, index) => ({ item, at: `input.${index}` }))];
  const needsNativeInput = history.length > 0 || resolved.some((r) => r.referenced) || holdsGatewayCompaction(input);
  const nativeInput = needsNativeInput ? [...forNativeHistory(history), ...resolved.flatMap(({ item, referenced }) => (referenced ? forNativeHistory([item]) : [readableByOpenAI(item)]))] : undefined;
  return { items: [...history, ...own], turnStart: history.length, follows, placed, nativeInput };
}

/**
 * An item id named twice (an item of the previous response sent again beside
 * `previous_response_id`, or one stored item referred to twice) is refused, as OpenAI refuses it:
 * the upstream would be sent the turn twice, and a list of the stored items would page for ever
 * (its cursor, an id, found at its first copy).
 */
function refuseDuplicates(history: readonly ResponseInputItem[], own: readonly ResponseInputItem[]): void {
  const ids = new Set<string>();
  for (const item of history) if (typeof item.id === 'string') ids.add(item.id);
  for (const item of own) {
    if (typeof item.id !== 'string' || item.id === '') continue;
    if (ids.has(item.id)) throw invalidRequest(`Duplicate item found with id ${item.id}. Remove duplicate items from your input and try again.`, 'input');
    ids.add(item.id);
  }
}

/** A follow-up of a response answered but too large to keep: a 404 that says why, and what to do instead. */
async function notKeptError(store: ResponseStore, id: string, owner: string | null) {
  const notKept = await store.notKept(id, owner).catch(() => undefined);
  if (!notKept) return undefined;
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  // The code of a response not found, which clients that fall back to sending the whole
  // conversation look for; the message says why.
  return notFound(
    `Previous response with id '${id}' was answered but not kept: its conversation (${mb(notKept.bytes)}) is larger than this gateway keeps (responses.maxStoredBytes). Send the conversation's items in full without previous_response_id, or compact it first.`,
    'previous_response_not_found',
    'previous_response_id',
  );
}

/** A reasoning item with an id and nothing encrypted: what a client that did not ask for `encrypted_content` was shown. */
function isBareReasoning(item: ResponseInputItem): item is ResponseInputItem & { id: string } {
  if (item.type !== 'reasoning' || typeof item.id !== 'string' || item.id === '') return false;
  const encrypted = (item as { encrypted_content?: unknown }).encrypted_content;
  return typeof encrypted !== 'string' || encrypted === '';
}
