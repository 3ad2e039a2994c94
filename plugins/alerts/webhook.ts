/**
 * One webhook: alerts POSTed one at a time, in order, each try with a deadline, and a failed one
 * tried again a few times. The queue is bounded: a receiver that is down for a day costs the
 * gateway at most `MAX_QUEUED` alerts in memory (the oldest are dropped first, and said so in the
 * log). Nothing here waits on a request's path: `send` queues and returns.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'undici';
import { formatIssues, validate, type Logger } from 'llm-gateway/plugin';
import { alertText, type Alert } from './messages.js';

export interface WebhookOptions {
  /** Where alerts are POSTed: an `http://` or `https://` URL. */
  url: string;
  /**
   * `json` (default): the alert's fields and its `text`. `slack`: `{"text"}`, what Slack's incoming
   * webhooks take (and Mattermost's, Rocket.Chat's…).
   */
  format?: 'json' | 'slack';
  /** Extra request headers (an `Authorization` the receiver asks for). */
  headers?: Record<string, string>;
  /**
   * Signs each body: `x-llm-gateway-signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, with
   * `x-llm-gateway-timestamp` (seconds since the epoch), so a receiver can refuse forged or replayed alerts.
   */
  secret?: string;
}

export const webhookSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^https?://.+' },
    format: { enum: ['json', 'slack'] },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    secret: { type: 'string', minLength: 16 },
  },
} as const;

export const MAX_QUEUED = 100;

/**
 * What became of an alert: taken; not taken for now (tries spent on a receiver that failed or did
 * not answer, dropped from a full queue, cut by shutdown), worth sending again at the next
 * occasion; or refused for good (a 4xx: a revoked or wrong URL), which sending again on every
 * occasion would only repeat (a refusal per request sent one webhook call per request).
 */
export type Delivery = 'delivered' | 'failed' | 'refused';

interface Queued {
  alert: Alert;
  settled: ((outcome: Delivery) => void) | undefined;
}
/** Waits before the second and third tries; a receiver's `Retry-After` is honoured up to the last. */
const RETRY_DELAYS_MS = [1000, 5000];
const MAX_RETRY_AFTER_MS = 30_000;

export class Webhook {
  private readonly queue: Queued[] = [];
  private running: Promise<void> | undefined;
  private readonly closing = new AbortController();
  private dropped = 0;

  constructor(
    private readonly options: WebhookOptions,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
    private readonly source: string,
    private readonly retryDelaysMs: readonly number[] = RETRY_DELAYS_MS,
  ) {}

  /** Queues the alert; never throws, never waits. `settled` hears what became of it (at shutdown too). */
  send(alert: Alert, settled?: (outcome: Delivery) => void): void {
    if (this.closing.signal.aborted) return void settled?.('failed');
    if (this.queue.length >= MAX_QUEUED) {
      this.queue.shift()!.settled?.('failed');
      if (this.dropped++ === 0) this.logger.warn('alerts: a webhook is behind; its oldest alerts are dropped', { webhook: this.where() });
    }
    this.queue.push({ alert, settled });
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /**
   * Waits up to `graceMs` for the queue to be delivered, then gives up on the rest: the try in
   * flight is cut and no other is made, so once this resolves nothing more is sent.
   */
  async close(graceMs: number): Promise<void> {
    const running = this.running;
    if (running) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    this.closing.abort();
    await this.running;
    if (this.queue.length > 0) this.logger.warn('alerts: undelivered at shutdown', { webhook: this.where(), alerts: this.queue.length });
    // Told, so that their claims are given back: another replica, or this one restarted, sends them.
    for (const { settled } of this.queue.splice(0)) settled?.('failed');
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closing.signal.aborted) {
      const { alert, settled } = this.queue.shift()!;
      let outcome: Delivery = 'failed';
      try {
        outcome = await this.deliver(alert);
      } catch (error) {
        this.logger.warn('alerts: could not send an alert', { webhook: this.where(), alert: alert.type, error: (error as Error).message });
      }
      // Cut by shutdown too: told, so that its claim is given back for another replica to send.
      settled?.(outcome);
    }
    if (this.dropped > 0) {
      this.logger.warn('alerts: alerts were dropped while a webhook was behind', { webhook: this.where(), dropped: this.dropped });
      this.dropped = 0;
    }
  }

  /** What became of the alert: taken, tries spent (or the plugin closing), or refused for good. */
  private async deliver(alert: Alert): Promise<Delivery> {
    // One id for every try: a receiver that took a try it answered too late for can drop the copies.
    const id = randomUUID();
    const body = JSON.stringify(this.options.format === 'slack' ? { text: alertText(alert) } : { id, ...alert, text: alertText(alert), source: this.source });
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.post(body, id);
      if (outcome.ok) return 'delivered';
      if (this.closing.signal.aborted) return 'failed';
      const retryIn = attempt < this.retryDelaysMs.length && outcome.retry ? Math.min(Math.max(outcome.retryAfterMs ?? 0, this.retryDelaysMs[attempt]!), MAX_RETRY_AFTER_MS) : undefined;
      if (retryIn === undefined) {
        this.logger.warn('alerts: a webhook refused an alert', { webhook: this.where(), alert: alert.type, reason: outcome.reason, tries: attempt + 1 });
        return outcome.retry ? 'failed' : 'refused';
      }
      if (!(await this.pause(retryIn))) return 'failed';
    }
  }

  private async post(body: string, id: string): Promise<{ ok: true } | { ok: false; retry: boolean; reason: string; retryAfterMs?: number }> {
    const headers: Record<string, string> = { ...this.options.headers, 'content-type': 'application/json', 'user-agent': 'llm-gateway-alerts', 'x-llm-gateway-alert-id': id };
    if (this.options.secret) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      headers['x-llm-gateway-timestamp'] = timestamp;
      headers['x-llm-gateway-signature'] = `sha256=${createHmac('sha256', this.options.secret).update(`${timestamp}.${body}`).digest('hex')}`;
    }
    // One controller a try, ended by its deadline or by close, and let go of after it.
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(new Error(`no answer in ${this.timeoutMs} ms`)), this.timeoutMs);
    const onClose = () => attempt.abort(new Error('the gateway is closing'));
    this.closing.signal.addEventListener('abort', onClose, { once: true });
    try {
      const response = await request(this.options.url, { method: 'POST', headers, body, signal: attempt.signal, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
      await response.body.dump();
      if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true };
      const retry = response.statusCode === 408 || response.statusCode === 429 || response.statusCode >= 500;
      const retryAfterMs = retryAfter(response.headers['retry-after']);
      return { ok: false, retry, reason: `HTTP ${response.statusCode}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    } catch (error) {
      return { ok: false, retry: true, reason: (error as Error).message };
    } finally {
      clearTimeout(timer);
      this.closing.signal.removeEventListener('abort', onClose);
    }
  }

  /** Resolves true after `ms`, false at once when the plugin closes. */
  private pause(ms: number): Promise<boolean> {
    const { signal } = this.closing;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onClose = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onClose);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onClose, { once: true });
    });
  }

  /** The webhook as logs show it: its origin, never its path (Slack's holds the secret). */
  private where(): string {
    return new URL(this.options.url).origin;
  }
}

/** The webhook the environment names, if any, checked as an option would be (its URL never printed). */
export function webhooksFromEnv(env: NodeJS.ProcessEnv): WebhookOptions[] {
  const url = env.LLM_GATEWAY_ALERTS_WEBHOOK_URL;
  if (!url) return [];
  const webhook = {
    url,
    ...(env.LLM_GATEWAY_ALERTS_WEBHOOK_FORMAT ? { format: env.LLM_GATEWAY_ALERTS_WEBHOOK_FORMAT } : {}),
    ...(env.LLM_GATEWAY_ALERTS_WEBHOOK_SECRET ? { secret: env.LLM_GATEWAY_ALERTS_WEBHOOK_SECRET } : {}),
  };
  const issues = validate(webhookSchema, webhook, (path) => path === '/url' || path === '/secret');
  if (issues.length > 0) {
    // Named as the variable that holds it: LLM_GATEWAY_ALERTS_WEBHOOK_FORMAT, not options/format.
    const lines = issues.map((issue) => formatIssues('', [issue]).replace(/^\/(\w+)/, (_, field: string) => `LLM_GATEWAY_ALERTS_WEBHOOK_${field.toUpperCase()}`));
    throw new Error(`gateway:alerts: ${lines.join('; ')}`);
  }
  return [webhook as WebhookOptions];
}

/** `Retry-After` in milliseconds from now: a number of seconds or an HTTP date. */
export function retryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
