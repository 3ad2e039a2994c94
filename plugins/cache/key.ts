/**
 * The exact cache key: a hash of the request as it goes upstream, normalized, so two requests that
 * would get the same answer share one entry and two that could get different answers never do.
 *
 * Everything in the request is in the key (messages, tools, response format, `max_tokens`,
 * `logit_bias`, `seed`, provider extras such as `top_k`, fields nobody has named yet) except the
 * short list below of fields known not to change what the model writes. The model is the resolved
 * one (the virtual model, or the first target's `provider/model`), never the client's alias, and
 * the key is scoped: to the caller's gateway key by default, its team, or global.
 */
import { createHash } from 'node:crypto';
import type { ChatCompletionRequest, ChatMessage, EmbeddingsRequest, GatewayContext, NativeRequest, RouteDecision } from 'llm-gateway/plugin';
import { authenticatedKey } from 'llm-gateway/plugins/auth';

/**
 * Request fields that do not change the answer, left out of the key: who asks (`user`,
 * `safety_identifier`), bookkeeping (`metadata`, `store`, `prompt_cache_key`), and delivery
 * (`stream`, `stream_options`: a streamed answer is replayed to a JSON client and back). The
 * body's `gateway` object never reaches here (the kernel takes it out).
 */
export const FIELDS_OUTSIDE_THE_KEY: readonly string[] = ['user', 'safety_identifier', 'metadata', 'store', 'prompt_cache_key', 'stream', 'stream_options'];

export type Scope = 'key' | 'team' | 'global';

/** The scope an entry belongs to: `key:<id>`, `team:<name>` or `global` (also when no key checks the caller). */
export function scopeOf(ctx: GatewayContext, scope: Scope): string {
  const key = authenticatedKey(ctx.http);
  if (scope === 'global' || !key) return 'global';
  if (scope === 'team') return key.team !== undefined ? `team:${key.team}` : `key:${key.id}`;
  return `key:${key.id}`;
}

/** What the request is answered by: a virtual model (its targets are one another's stand-ins), or the first target. */
export function modelOf(route: RouteDecision): string | undefined {
  if (route.virtualModel) return `virtual:${route.virtualModel}`;
  const first = route.targets[0];
  return first ? `${first.provider}/${first.model}` : undefined;
}

export interface KeyParts {
  scope: string;
  model: string;
  operation: 'chat' | 'embeddings';
  request: ChatCompletionRequest | EmbeddingsRequest;
  /**
   * The client's own request where its front-end keeps it (`ctx.nativeRequest()`: Anthropic's
   * messages, the Responses API). An upstream of its protocol is sent that request, not the OpenAI
   * view, and the view leaves out what it cannot say (server tools, a thinking budget, forwarded
   * `anthropic-beta` headers), so the key covers it too.
   */
  native?: NativeRequest;
}

export function exactKey(parts: KeyParts): string {
  const body = parts.operation === 'chat' ? normalizeChat(parts.request as ChatCompletionRequest) : withoutFields(parts.request as EmbeddingsRequest);
  // The resolved model stands for the name the client used: two aliases of one model share entries.
  delete body.model;
  return hash(['exact', parts.scope, parts.operation, parts.model, body, ...nativePart(parts.native, [])]);
}

/** The native request as the key reads it: its protocol, headers and body, less the fields outside the key and `leftOut`. */
function nativePart(native: NativeRequest | undefined, leftOut: readonly string[]): unknown[] {
  if (!native) return [];
  const body = withoutFields(native.body);
  delete body.model;
  for (const field of leftOut) delete body[field];
  return [native.protocol, native.headers, body];
}

/**
 * What must match exactly for a semantic hit: scope, model, and everything in the request but the
 * text that is embedded (the last user message). The system prompt, tools, response format and
 * sampling parameters all stay in.
 */
export function partitionKey(parts: KeyParts & { operation: 'chat' }): string {
  const request = normalizeChat(parts.request as ChatCompletionRequest) as Record<string, unknown>;
  const messages = request.messages as unknown[];
  delete request.model;
  // The native conversation (`messages`, `input`) is the view's messages, which hold the turns before the embedded one.
  return hash(['semantic', parts.scope, parts.model, { ...request, messages: messages.slice(0, -1) }, ...nativePart(parts.native, ['messages', 'input'])]);
}

/** Stable SHA-256 (hex, 32 characters) of a JSON value with object keys sorted. */
export function hash(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex').slice(0, 32);
}

function normalizeChat(request: ChatCompletionRequest): Record<string, unknown> {
  const body = withoutFields(request);
  body.messages = request.messages.map(normalizeMessage);
  return body;
}

/** A content array of text parts only says the same as their text: one entry for both spellings. */
function normalizeMessage(message: ChatMessage): unknown {
  const content = message.content;
  if (!Array.isArray(content)) return message;
  if (!content.every((part) => part.type === 'text' && typeof part.text === 'string' && Object.keys(part).length === 2)) return message;
  return { ...message, content: content.map((part) => part.text as string).join('') };
}

function withoutFields(request: object): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(request)) {
    // null and absent mean the same (the provider's default).
    if (value === null || value === undefined || FIELDS_OUTSIDE_THE_KEY.includes(field)) continue;
    body[field] = value;
  }
  return body;
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}
