/**
 * gateway:usage-logger, one record per request in a SQL table (SQLite by default, PostgreSQL for
 * replicas), and the admin API that reads it.
 *
 * Options: where to write (default: the config's top-level `usageLog`, a documented alias, else
 * `data/usage.sqlite`), whether to keep request and response
 * bodies (off by default; capped and redacted when on), extra redaction patterns, and how many days
 * to keep.
 *
 * On the way in (at `request:start`), with request bodies on: the client's own JSON text, up to the
 * cap, where the request is that text parsed (else its OpenAI view is serialised in the batch). On
 * the way out: with bodies on, a stream's text is kept as it passes (up to the cap). At
 * `request:end` (answered, failed or abandoned) the record is built and queued; the write happens
 * behind, in batches, and never delays or fails a request. Bodies are serialised, capped and
 * redacted in that batch too, not at `request:end`. At shutdown, after the last request has ended,
 * the queue is flushed.
 */
import { definePlugin, defineService, defineSlot, tapStream, type ChatCompletionChunk, type GatewayContext, type RequestMiddleware } from 'llm-gateway/plugin';
import { defaultPricing, pricing as pricingService } from 'llm-gateway/plugins/cost';
import { addUsageRoutes } from './admin-routes.js';
import { buildRecord } from './build-record.js';
import { openUsageLog } from './log/open-usage-log.js';
import type { DeferredBody } from './log/record.js';
import type { UsageLog } from './log/usage-log.js';
import { cappedJson, capRedacted, createRedactor, REDACTION_MARGIN, redactionWindow } from './redact.js';

export interface UsageLoggerOptions {
  /** `sqlite://<file>` or `postgres://...`. Default: the config's `usageLog`, else `sqlite://data/usage.sqlite`. */
  url?: string;
  bodies?: { request?: boolean; response?: boolean; maxBytes?: number };
  /** Regular expressions (as strings) to redact besides keys, tokens, emails, phones and cards. */
  redact?: string[];
  /** Records older than this many days are deleted. Default 30. */
  retentionDays?: number;
}

/** Nothing to install: one SQLite file next to the gateway's state, created on first start. */
export const DEFAULT_USAGE_LOG = 'sqlite://data/usage.sqlite';

const USAGE_LOG_URL = { type: 'string', pattern: '^(sqlite://.+|sqlite::memory:|postgres(ql)?://.+)$' };

/** The config's top-level `usageLog` (where to write, when the plugin's `url` is not given). */
export const usageLogSection = { usageLog: USAGE_LOG_URL };

/** The open usage log, for the dashboard. */
export const usageLogService = defineService<UsageLog>('usage-logger:log');

const responseTextSlot = defineSlot<{ text: string }>('usage-logger:response-text');
/** The client's own JSON text, where the front-end took the body as it came (see `ctx.receivedText`). */
const requestTextSlot = defineSlot<string>('usage-logger:request-text');
const DAY = 86_400_000;

const defaults = { bodies: { request: false, response: false, maxBytes: 16_384 }, retentionDays: 30 } satisfies UsageLoggerOptions;

export const usageLogger = definePlugin<UsageLoggerOptions, typeof defaults>({
  name: 'gateway:usage-logger',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      url: USAGE_LOG_URL,
      bodies: {
        type: 'object',
        additionalProperties: false,
        properties: { request: { type: 'boolean' }, response: { type: 'boolean' }, maxBytes: { type: 'integer', minimum: 0, maximum: 1_048_576 } },
      },
      redact: { type: 'array', items: { type: 'string', minLength: 1 } },
      retentionDays: { type: 'integer', minimum: 1 },
    },
  },
  defaults,
  configSections: usageLogSection,
  async setup(host, options) {
    const redact = createRedactor(options.redact);
    const { maxBytes, request: keepRequest, response: keepResponse } = options.bodies;
    // Redacted before it is capped, so a secret the cap would cut keeps the part its pattern needs.
    const body = (text: string) => capRedacted(text, maxBytes, redact);
    // A value known to be small (a request the client sent in no more bytes than the cap) is
    // serialised whole: cappedJson's replacer runs for every value (1.4 µs for a sentence's request,
    // against 0.7 without). The text is the same, since body() caps it.
    const jsonBody = (value: unknown, knownBytes = Infinity) => body(knownBytes <= maxBytes ? JSON.stringify(value) : cappedJson(value, maxBytes + REDACTION_MARGIN));
    const deferredJson = (value: unknown, knownBytes: number): DeferredBody => () => jsonBody(value, knownBytes);
    // A whole answer's OpenAI view as JSON: the text the client was sent when that is what it got
    // (OpenAI's own endpoints), serialised by the kernel already; else serialised in the batch.
    // Only the answer or its text is kept for the batch, never the request's context.
    const answerBody = (ctx: GatewayContext, answer: unknown): DeferredBody => {
      const sent = ctx.sentJson;
      if (sent !== undefined && sent.body === answer) {
        const text = sent.text;
        return () => body(text);
      }
      return () => jsonBody(answer);
    };

    const url = options.url ?? (host.config.sections.usageLog as string | undefined) ?? DEFAULT_USAGE_LOG;
    const log = await openUsageLog(url, { logger: host.logger });
    host.provide(usageLogService, log);
    const pricing = () => host.tryResolve(pricingService) ?? defaultPricing();
    addUsageRoutes(host, log);

    // The request as the client sent it, where the front-end took the body as it came (chat
    // completions, embeddings): kept as text, up to the cap, it need not be serialised again, and
    // what waits for the batch is one string rather than the parsed request. A translated request
    // (Anthropic's messages, the Responses API) has no such text: its OpenAI view is serialised, as
    // the answer's is.
    if (keepRequest) {
      host.events.on('request:start', (ctx) => {
        const text = ctx.receivedText;
        if (text !== undefined) ctx.set(requestTextSlot, redactionWindow(text, maxBytes));
      });
    }

    host.events.on('request:end', (ctx) => {
      // A request the gateway answered itself (a token count) used no provider: nothing to record.
      if (ctx.answer) return;
      try {
        // Bodies are only referenced here: serialising, capping and redacting them runs in the
        // write-behind batch (DeferredBody), off the request path.
        const clientText = keepRequest ? ctx.get(requestTextSlot) : undefined;
        const request = !keepRequest ? undefined : clientText !== undefined ? () => body(clientText) : deferredJson(ctx.request, Number(ctx.http?.req?.headers['content-length']));
        const kept = ctx.get(responseTextSlot);
        const answer = ctx.response?.kind === 'json' ? ctx.response.body : undefined;
        const response = !keepResponse ? undefined : kept ? () => body(kept.text) : answer !== undefined ? answerBody(ctx, answer) : undefined;
        const record = buildRecord(ctx, pricing(), { request, response });
        log.write(record);
      } catch (error) {
        host.logger.warn('could not build a usage record', { requestId: ctx.id, error: (error as Error).message });
      }
    });

    const prune = () =>
      void log.prune(new Date(Date.now() - options.retentionDays * DAY)).catch((error: Error) => host.logger.warn('could not prune the usage log', { error: error.message }));
    prune();
    const pruner = setInterval(prune, 6 * 60 * 60 * 1000);
    pruner.unref();

    /** On the way out, with response bodies on: a stream's text is kept as it passes. */
    const keepStreamedText: RequestMiddleware = async (ctx, next) => {
      await next();
      const response = ctx.response;
      if (response?.kind !== 'stream') return;
      const kept = { text: '' };
      ctx.set(responseTextSlot, kept);
      ctx.response = { ...response, chunks: tapStream(response.chunks, { chunk: (chunk) => keepText(chunk, kept, maxBytes), lazyChunks: true }) };
    };

    return {
      // Without response bodies nothing is done on the way out: no middleware, rather than one
      // that awaits every request for nothing (the shipped default keeps no bodies).
      ...(keepResponse ? { middleware: keepStreamedText } : {}),

      async close() {
        clearInterval(pruner);
        await log.close();
      },
    };
  },
});

/** A stream's answer text as it passes, up to the cap: nothing is held back from the client. */
function keepText(chunk: ChatCompletionChunk, kept: { text: string }, maxBytes: number): void {
  // Past the cap by redaction's margin: what straddles the cap is still recognised (capRedacted).
  if (kept.text.length > maxBytes + REDACTION_MARGIN) return;
  for (const choice of chunk.choices ?? []) if (typeof choice.delta?.content === 'string') kept.text += choice.delta.content;
}

export { createRedactor, cutRedacted } from './redact.js';
export { openUsageLog } from './log/open-usage-log.js';
/** Kept for plugins that imported it from here; it lives in `llm-gateway/plugin` now. */
export { utcTime } from 'llm-gateway/plugin';
export type { UsageRecord, UsageAttempt, UsageCacheState, UsageEndpoint, UsageOutcome } from './log/record.js';
export type { UsageLog, UsageQuery, UsageAggregate, LogQuery, UsageFilter, UsageGroupKey, UsageBucket, StatusClass, UsageLogStats } from './log/usage-log.js';
