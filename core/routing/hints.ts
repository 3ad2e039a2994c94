/**
 * Routing hints a client may send with a request: which strategy to use, which providers to prefer
 * or avoid. As headers (`x-gateway-strategy`, `x-gateway-prefer`, `x-gateway-exclude`, lists
 * comma-separated) or as a `gateway` object in the body, which never reaches the upstream.
 * Entries of `prefer`/`exclude` are provider ids (`groq`) or deployments (`groq/llama-3.3-70b`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { invalidRequest } from '../errors.js';
import type { Target } from '../providers/provider.js';

export interface RoutingHints {
  readonly strategy?: string;
  readonly prefer?: readonly string[];
  readonly exclude?: readonly string[];
}

/**
 * Takes the hints out of a request: reads the headers and the body's `gateway` object, and removes
 * that object, which is for the gateway only and never reaches an upstream.
 */
export function takeRoutingHints(headers: IncomingHttpHeaders, body: Record<string, unknown>): RoutingHints | undefined {
  const inBody = body.gateway;
  if (inBody !== undefined) delete body.gateway;
  return readRoutingHints(headers, inBody);
}

/** Reads hints from headers and the body's `gateway` object; undefined when there are none. */
export function readRoutingHints(headers: IncomingHttpHeaders, inBody: unknown): RoutingHints | undefined {
  const strategy = header(headers['x-gateway-strategy']);
  const prefer = list(header(headers['x-gateway-prefer']));
  const exclude = list(header(headers['x-gateway-exclude']));
  if (inBody === undefined && strategy === undefined && prefer === undefined && exclude === undefined) return undefined;
  const body = bodyHints(inBody);
  const merged = {
    strategy: body.strategy ?? strategy,
    prefer: union(body.prefer, prefer),
    exclude: union(body.exclude, exclude),
  };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as RoutingHints;
}

/** Does a hint entry name this target (by provider id, or by `provider/model`)? */
export function hintMatches(entry: string, target: Target): boolean {
  return entry === target.provider || entry === `${target.provider}/${target.model}`;
}

function bodyHints(value: unknown): RoutingHints {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest("'gateway' must be an object with strategy, prefer and exclude.", 'gateway', 'invalid_value');
  const { strategy, prefer, exclude, ...unknown } = value as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw invalidRequest(`Unknown field in 'gateway': ${extra.join(', ')} (allowed: strategy, prefer, exclude).`, `gateway.${extra[0]}`, 'invalid_value');
  if (strategy !== undefined && typeof strategy !== 'string') throw invalidRequest("'gateway.strategy' must be a string.", 'gateway.strategy', 'invalid_value');
  return { ...(strategy !== undefined ? { strategy } : {}), ...stringList(prefer, 'prefer'), ...stringList(exclude, 'exclude') };
}

function stringList(value: unknown, name: 'prefer' | 'exclude'): Partial<Record<'prefer' | 'exclude', string[]>> {
  if (value === undefined) return {};
  if (typeof value === 'string') return { [name]: list(value) ?? [] };
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return { [name]: value as string[] };
  throw invalidRequest(`'gateway.${name}' must be a list of provider ids or provider/model names.`, `gateway.${name}`, 'invalid_value');
}

function header(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value.join(',') : value;
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean);
}

function union(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] | undefined {
  if (a === undefined && b === undefined) return undefined;
  return [...new Set([...(a ?? []), ...(b ?? [])])];
}
