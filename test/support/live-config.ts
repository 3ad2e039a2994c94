/**
 * The set-up of the live-configuration tests (the kernel's `gateway.live` and the dashboard's
 * `/admin/config`): two mock upstreams, and gateways started on the first one as provider `a`, with
 * the virtual model `fast` on `a/mock-small`; a change points things at the second one.
 */
import type { GatewayConfig } from '../../index.js';
import { startGateway, type RunningGateway } from './gateway.js';
import { startMockUpstream, type MockUpstream } from './mock-upstream.js';

export interface LiveConfigGateways {
  /** Serves provider `a` of every gateway started. */
  readonly first: MockUpstream;
  /** Serves nothing until a test points a provider at it. */
  readonly second: MockUpstream;
  /** A gateway with provider `a` and model `fast`, the defaults, then `config` (each key replaces). */
  start(config?: Partial<GatewayConfig>): Promise<RunningGateway>;
  /** Closes every gateway started so far. */
  closeGateways(): Promise<void>;
  /** Closes the gateways and forgets the requests both upstreams have seen: after each test. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the two upstreams. `defaults` gives what every gateway's config adds (called once per
 * gateway, so that each gets plugin instances of its own); `start`'s own config replaces it.
 */
export async function startLiveConfigGateways(defaults: () => Partial<GatewayConfig> = () => ({})): Promise<LiveConfigGateways> {
  const first = await startMockUpstream();
  const second = await startMockUpstream().catch(async (error: unknown) => {
    await first.close();
    throw error;
  });
  const running: RunningGateway[] = [];
  const closeGateways = async () => {
    await Promise.all(running.splice(0).map((gw) => gw.close()));
  };
  return {
    first,
    second,
    async start(config = {}) {
      const gw = await startGateway({
        providers: { a: { type: 'openai-compatible', baseURL: first.baseURL, listModels: false } },
        models: { fast: { targets: ['a/mock-small'] } },
        ...defaults(),
        ...config,
      });
      running.push(gw);
      return gw;
    },
    closeGateways,
    async reset() {
      await closeGateways();
      first.reset();
      second.reset();
    },
    async close() {
      await closeGateways();
      await first.close();
      await second.close();
    },
  };
}

/**
 * An admin API call as an operator's script makes it: throws unless answered 200.
 * `gateway()` is read at each call, so a helper made before `beforeAll` starts the gateway works.
 */
export function adminCalls(gateway: () => RunningGateway, adminKey: string): (method: string, path: string, body?: unknown) => Promise<void> {
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  return async (method, path, body) => {
    const res = await fetch(`${gateway().url}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  };
}

/** A chat request's status and error code, as a test of routing through live changes reads them. */
export function chatOutcomes(gateway: () => RunningGateway, headers: Record<string, string>): (model: string) => Promise<{ status: number; code?: string }> {
  return async (model) => {
    const res = await fetch(`${gateway().baseURL}/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
    const body = (await res.json()) as { error?: { code?: string } };
    return { status: res.status, ...(body.error?.code ? { code: body.error.code } : {}) };
  };
}
