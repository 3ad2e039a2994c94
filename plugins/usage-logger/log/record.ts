/**
 * One usage record per client request: who asked, what for, who answered, what it cost and how it
 * went. Written once when the exchange is over (`request:end`), never updated, so a backend can
 * append in batches and index by time.
 */
import type { Endpoint } from 'llm-gateway/plugin';

/** The API the request came in on, as its front-end names it (`chat.completions`, `messages`, ...). */
export type UsageEndpoint = Endpoint;
export type UsageOutcome = 'ok' | 'error' | 'client_aborted';
/**
 * What the response cache (gateway:cache) did: answered (`hit`, `semantic-hit`), went upstream
 * (`miss`, `refresh`: the client asked not to read), stepped aside (`skip`), or is not configured (`none`).
 */
export const USAGE_CACHE_STATES = ['hit', 'semantic-hit', 'miss', 'refresh', 'skip', 'none'] as const;
export type UsageCacheState = (typeof USAGE_CACHE_STATES)[number];

/** One try at a provider; a request with retries or fallbacks has several. */
export interface UsageAttempt {
  provider: string;
  model: string;
  status?: number;
  error?: string;
  latencyMs?: number;
}

export interface UsageRecord {
  /** The gateway's id for the request: one per request, the log's key. */
  requestId: string;
  /**
   * The id the client sent in `x-request-id`, which the gateway answers with; absent when it sent
   * none (`requestId` is then the one it was answered with). Clients may send one id twice.
   */
  clientRequestId?: string | null;
  /** When the request arrived. */
  startedAt: Date;
  endpoint: UsageEndpoint;
  /** Gateway (virtual) key id; null when the gateway is open. */
  keyId: string | null;
  team: string | null;
  /** The model as the client named it. */
  requestedModel: string;
  /** Who answered (or was tried last). */
  provider: string | null;
  /** The provider's model name. */
  model: string | null;
  /** HTTP status the client got. */
  status: number;
  outcome: UsageOutcome;
  attempts: UsageAttempt[];
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  /**
   * Of `cacheWriteTokens`, those written to the cache for an hour (Anthropic bills them at twice the
   * input price, a 5-minute write at 1.25×). Always set on records read back; a writer may leave it out (0).
   */
  cacheWrite1hTokens?: number;
  reasoningTokens: number;
  /** True when the gateway counted the tokens rather than the provider reporting them. */
  tokensEstimated: boolean;
  /** Null when the model has no price. */
  costUsd: number | null;
  /** Total, arrival to last byte. */
  latencyMs: number;
  /** Time to first token/byte; null when nothing was sent. */
  ttftMs: number | null;
  /**
   * `hit` and `semantic-hit` mark an answer from the response cache: its token counts are the cached
   * answer's, `costUsd` is 0 and `savedCostUsd` what the answer cost when it was made.
   */
  cache: UsageCacheState;
  /** What a cache hit saved (the cached answer's cost when it was made); null otherwise or without a price. */
  savedCostUsd?: number | null;
  stream: boolean;
  errorCode: string | null;
  /** Already capped and redacted by the caller; the log stores it as given. */
  requestBody: string | null;
  responseBody: string | null;
  metadata: Record<string, string> | null;
}

/**
 * A body given to `UsageLog.write` as a function: it runs in the write-behind batch, off the request
 * path (capture, redaction and serialisation cost nothing there). It must return the capped,
 * redacted text, or null; if it throws, the record is stored without that body.
 */
export type DeferredBody = () => string | null;

/** What `UsageLog.write` takes: a record whose bodies may still be deferred. */
export type UsageRecordInput = Omit<UsageRecord, 'requestBody' | 'responseBody'> & {
  requestBody: string | null | DeferredBody;
  responseBody: string | null | DeferredBody;
};
