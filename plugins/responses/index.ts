/**
 * `gateway:responses`, always loaded: OpenAI's Responses API (`POST /v1/responses`,
 * `/v1/responses/compact` and `/v1/responses/input_tokens`, `GET`/`DELETE /v1/responses/{id}`,
 * `GET /v1/responses/{id}/input_items`) in front of every provider, so Codex CLI and the Vercel AI
 * SDK's OpenAI provider can reach any of them. A request
 * reaching an upstream that speaks the Responses API itself (`openai`, `azure-openai`) goes up as
 * written and comes back byte for byte; any other is served through the chat translation.
 *
 * Options (or the config's top-level `responses` section, for the built-in instance): how many days
 * a stored response is kept (`retentionDays`, default 30) and how heavy one may be
 * (`maxStoredBytes`, default 8 MiB; a heavier one is answered but not kept, and that is logged).
 *
 * It adds no hook to the pipeline: its front-end loads the conversation a request continues and
 * translates it (see api/responses.ts), and stores each answer before the client can name it.
 *
 * @example
 * // gateway.config.ts: keep stored responses a week
 * export default defineConfig({ responses: { retentionDays: 7 }, providers: { ... } });
 */
import { definePlugin } from 'llm-gateway/plugin';
import { compactApi } from './api/compact.js';
import { inputTokensApi } from './api/input-tokens.js';
import { responsesApi } from './api/responses.js';
import { addStoredResponseRoutes } from './api/stored-routes.js';
import { ResponseStore, type ResponseRecords } from './store/response-store.js';

export interface ResponsesOptions {
  /** Days a stored response (and the conversation behind it) is kept. Default 30. */
  retentionDays?: number;
  /** The most one stored response may weigh, its conversation included, in bytes. Default 8 MiB. */
  maxStoredBytes?: number;
  /**
   * Keep a follow-up (`previous_response_id`) as its own turn linked to the ones before it (default
   * true), rather than the whole conversation again. Replicas of a build before linked turns
   * (2026-12-06) cannot read a linked record: set false for a rolling upgrade from one, and true
   * again once every replica runs this build (docs/deployment.md, "Upgrading").
   */
  linkTurns?: boolean;
}

export const RESPONSES_DEFAULTS = { retentionDays: 30, maxStoredBytes: 8 * 1024 * 1024, linkTurns: true } as const satisfies Required<ResponsesOptions>;

const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    retentionDays: { type: 'number', exclusiveMinimum: 0 },
    maxStoredBytes: { type: 'integer', minimum: 1 },
    linkTurns: { type: 'boolean' },
  },
};

const DAY_MS = 86_400_000;

export const responsesPlugin = definePlugin<ResponsesOptions>({
  name: 'gateway:responses',
  schema: optionsSchema,
  configSections: { responses: optionsSchema },
  setup(host, options) {
    const section = host.config.sections.responses as ResponsesOptions | undefined;
    const settings = { ...RESPONSES_DEFAULTS, ...section, ...options };
    const store = new ResponseStore(host.store.kv<ResponseRecords>('responses'), {
      ttlMs: settings.retentionDays * DAY_MS,
      maxBytes: settings.maxStoredBytes,
      linkTurns: settings.linkTurns,
      logger: host.logger.child('responses'),
    });
    host.frontEnd(responsesApi(store));
    host.frontEnd(compactApi(store));
    host.frontEnd(inputTokensApi(host, store));
    addStoredResponseRoutes(host, store);
  },
});

export { forClient, responseShell, toResponse, toResponseUsage } from './protocol/from-chat-response.js';
export { REASONING_ITEMS, carriedReasoningItems } from './protocol/reasoning.js';
export { ResponseEventWriter } from './protocol/stream-writer.js';
export { toChatRequest } from './protocol/to-chat-request.js';
export type { ChatTranslation, PlacedItem } from './protocol/to-chat-request.js';
export { ResponsesStreamTranslator, toChatCompletion, toChatUsage } from './protocol/to-chat-response.js';
export { ToolNames, toChatTools } from './protocol/tools.js';
export { validateResponsesRequest } from './protocol/validate-request.js';
export type * from './protocol/types.js';
