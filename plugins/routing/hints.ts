/**
 * Routing hints a client may send with a request: which strategy to use, which providers to prefer
 * or avoid. As headers (`x-gateway-strategy`, `x-gateway-prefer`, `x-gateway-exclude`, lists
 * comma-separated) or in the body's `gateway` object (`{ "gateway": { "prefer": ["groq"] } }`),
 * which never reaches the upstream. Entries of `prefer`/`exclude` are provider ids (`groq`) or
 * deployments (`groq/llama-3.3-70b`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestOptions, Target } from 'llm-gateway/plugin';

export interface RoutingHints {
  readonly strategy?: string;
  readonly prefer?: readonly string[];
  readonly exclude?: readonly string[];
  /** Where each came from, for the 400 that names it: the body's field or the header. */
  readonly params: { readonly strategy: string; readonly exclude: string };
}

const list = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };

/** The fields of the body's `gateway` object that routing reads. */
export const routingRequestOptions = { strategy: { type: 'string' }, prefer: list, exclude: list } as const;

/** The client's hints from its headers and the body's `gateway` object; undefined when there are none. */
export function readRoutingHints(headers: IncomingHttpHeaders, options: RequestOptions): RoutingHints | undefined {
  const strategy = (options.strategy as string | undefined) ?? header(headers['x-gateway-strategy']);
  const prefer = union(asList(options.prefer), asList(header(headers['x-gateway-prefer'])));
  const exclude = union(asList(options.exclude), asList(header(headers['x-gateway-exclude'])));
  if (strategy === undefined && prefer === undefined && exclude === undefined) return undefined;
  const params = {
    strategy: options.strategy !== undefined ? 'gateway.strategy' : 'x-gateway-strategy',
    exclude: options.exclude !== undefined ? 'gateway.exclude' : 'x-gateway-exclude',
  };
  return { ...(strategy !== undefined ? { strategy } : {}), ...(prefer ? { prefer } : {}), ...(exclude ? { exclude } : {}), params };
}

/** Does a hint entry name this target (by provider id, or by `provider/model`)? */
export function hintMatches(entry: string, target: Target): boolean {
  return entry === target.provider || entry === `${target.provider}/${target.model}`;
}

function header(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value.join(',') : value;
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}

function asList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value as string[];
  return String(value).split(',').map((s) => s.trim()).filter(Boolean);
}

function union(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] | undefined {
  if (a === undefined && b === undefined) return undefined;
  return [...new Set([...(a ?? []), ...(b ?? [])])];
}
