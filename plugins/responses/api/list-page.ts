/**
 * One page of a list in OpenAI's cursor form (`after`, `before`, `limit`; `data`, `first_id`,
 * `last_id`, `has_more`), over items already in the listed order.
 *
 * `after` is the next page: the `limit` items just after that one. `before` is the previous page:
 * the `limit` items just before that one (not the first `limit` of the list), and `has_more` then
 * says whether items remain before the page, the direction the client is paging in. Both together
 * bound the window on either side, taken from the `before` end. A cursor naming no item is ignored,
 * as it always was for `after`: a client holding an id from another list gets the first page
 * rather than an error.
 */
export interface Page<Item> {
  readonly data: Item[];
  readonly first_id: string | null;
  readonly last_id: string | null;
  readonly has_more: boolean;
}

export interface Cursor {
  readonly after?: string;
  readonly before?: string;
  readonly limit: number;
}

export function pageOf<Item extends { readonly id?: string | null }>(items: readonly Item[], cursor: Cursor): Page<Item> {
  const afterAt = indexOf(items, cursor.after);
  const beforeAt = indexOf(items, cursor.before);
  const start = afterAt === undefined ? 0 : afterAt + 1;
  const end = beforeAt === undefined ? items.length : Math.max(start, beforeAt);
  const [from, to, hasMore] =
    beforeAt === undefined
      ? [start, Math.min(end, start + cursor.limit), start + cursor.limit < end]
      : [Math.max(start, end - cursor.limit), end, end - cursor.limit > start];
  const data = items.slice(from, to);
  return { data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}

function indexOf(items: readonly { readonly id?: string | null }[], id: string | undefined): number | undefined {
  if (id === undefined) return undefined;
  const at = items.findIndex((item) => item.id === id);
  return at < 0 ? undefined : at;
}
