/**
 * gateway:usage-logger, one record per request in a SQL table (SQLite by default, PostgreSQL for
 * replicas: the config's `usageLog`), and the admin API that reads it.
 *
 * Options: where to write (default: the config's `usageLog`), whether to keep request and response
 * bodies (off by default; capped and redacted when on), extra redaction patterns, and how many days
 * to keep.
 *
 * On the way in: nothing. On the way out: with bodies on, a stream's text is kept as it passes (up
 * to the cap). At `request:end` (answered, failed or abandoned) the record is built and queued;
 * the write happens behind, in batches, and never delays or fails a request. At shutdown, after
 * the last request has ended, the queue is flushed.
 */
import type { GatewayContext } from '../../core/context.js';
import { defineSlot } from '../../core/context.js';
import { definePlugin } from '../../core/plugin.js';
import { pricing as pricingService } from '../../core/pricing.js';
import type { ChatCompletionChunk } from '../../core/protocol/openai.js';
import { defineService } from '../../core/services.js';
import { openUsageLog } from '../../core/usage/open-usage-log.js';
import type { UsageLog } from '../../core/usage/usage-log.js';
import { defaultPricing } from '../cost/index.js';
import { addUsageRoutes } from './admin-routes.js';
import { buildRecord } from './build-record.js';
import { cap, createRedactor } from './redact.js';

export interface UsageLoggerOptions {
  /** `sqlite://<file>` or `postgres://...`. Default: the config's `usageLog`. */
  url?: string;
  bodies?: { request?: boolean; response?: boolean; maxBytes?: number };
  /** Regular expressions (as strings) to redact besides keys, tokens, emails, phones and cards. */
  redact?: string[];
  /** Records older than this many days are deleted. Default 30. */
  retentionDays?: number;
}

/** The open usage log, for the dashboard. */
export const usageLogService = defineService<UsageLog>('usage-logger:log');

const responseTextSlot = defineSlot<{ text: string }>('usage-logger:response-text');
const DAY = 86_400_000;

export const usageLogger = definePlugin<UsageLoggerOptions>({
  name: 'gateway:usage-logger',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      url: { type: 'string', pattern: '^(sqlite://.+|sqlite::memory:|postgres(ql)?://.+)$' },
      bodies: {
        type: 'object',
        additionalProperties: false,
        properties: { request: { type: 'boolean', default: false }, response: { type: 'boolean', default: false }, maxBytes: { type: 'integer', minimum: 0, default: 16_384 } },
      },
      redact: { type: 'array', items: { type: 'string', minLength: 1 } },
      retentionDays: { type: 'integer', minimum: 1, default: 30 },
    },
  },
  create(options) {
    const redact = createRedactor(options.redact);
    const maxBytes = options.bodies?.maxBytes ?? 16_384;
    const keepRequest = options.bodies?.request === true;
    const keepResponse = options.bodies?.response === true;
    let log: UsageLog | undefined;
    let pruner: NodeJS.Timeout | undefined;

    const body = (text: string | undefined) => (text === undefined ? undefined : redact(cap(text, maxBytes)));

    return {
      async setup(host) {
        const url = options.url ?? host.config.usageLog;
        const opened = await openUsageLog(url, { logger: host.logger });
        log = opened;
        host.provide(usageLogService, opened);
        const pricing = () => host.tryResolve(pricingService) ?? defaultPricing();
        addUsageRoutes(host, () => opened);

        host.events.on('request:end', (ctx) => {
          try {
            const response = keepResponse ? (ctx.get(responseTextSlot)?.text ?? jsonBody(ctx)) : undefined;
            const record = buildRecord(ctx, pricing(), {
              ...(keepRequest ? { request: body(JSON.stringify(ctx.request)) } : {}),
              ...(response !== undefined ? { response: body(response) } : {}),
            });
            opened.write(record);
          } catch (error) {
            host.logger.warn('could not build a usage record', { requestId: ctx.id, error: (error as Error).message });
          }
        });

        const prune = () =>
          void opened.prune(new Date(Date.now() - options.retentionDays! * DAY)).catch((error: Error) => host.logger.warn('could not prune the usage log', { error: error.message }));
        prune();
        pruner = setInterval(prune, 6 * 60 * 60 * 1000);
        pruner.unref();
      },

      async middleware(ctx, next) {
        await next();
        const response = ctx.response;
        if (!keepResponse || response?.kind !== 'stream') return;
        const kept = { text: '' };
        ctx.set(responseTextSlot, kept);
        ctx.response = { ...response, chunks: keepText(response.chunks, kept, maxBytes) };
      },

      async close() {
        clearInterval(pruner);
        await log?.close();
      },
    };
  },
});

/** A stream's answer text as it passes, up to the cap: nothing is held back from the client. */
async function* keepText(chunks: AsyncIterable<ChatCompletionChunk>, kept: { text: string }, maxBytes: number): AsyncGenerator<ChatCompletionChunk> {
  for await (const chunk of chunks) {
    if (kept.text.length <= maxBytes) for (const choice of chunk.choices ?? []) if (typeof choice.delta?.content === 'string') kept.text += choice.delta.content;
    yield chunk;
  }
}

function jsonBody(ctx: GatewayContext): string | undefined {
  return ctx.response?.kind === 'json' ? JSON.stringify(ctx.response.body) : undefined;
}

export { createRedactor } from './redact.js';
