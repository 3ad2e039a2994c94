/**
 * Before its fix, what the user saw: a key with a fresh $5 daily budget, nothing spent, asks for an answer whose
 * reservation (docs/keys-and-usage.md: its prompt plus `max_tokens` at the output price; Claude Code
 * sends max_tokens 128,000) is more than the budget. The 402 says "This key has used its daily
 * budget of $5.00; it resets in … s." The key has used nothing: the same request with a smaller
 * `max_tokens` passes at once. The operator chasing a spent budget finds $0 spent; the client is told
 * to wait until midnight for nothing (and a budget under a cent is printed as "$0.00").
 *
 * Right behaviour: the docs' table gives 402 `daily_budget_exceeded` for "the key's budget is spent";
 * when it is not (the request could cost more than is left: the alerts' `exhausted: false` case,
 * which the code already tells apart), the message must say so (what the request could cost, what
 * is left), not that the budget is used.
 */
import { afterEach, expect, it } from 'vitest';
import { auth, cost } from '../../index.js';
import { startGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'docs-truth-admin-key-0123456789';
const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

it('a 402 for a request that could cost more than is left does not say the untouched budget is used', async () => {
  const up = await startMockUpstream();
  running.push(up);
  // $75 per million output tokens (an expensive model), prompts free.
  const gw = await startGateway({ providers: { mock: mockProvider(up) }, plugins: [auth({ adminKey: ADMIN }), cost({ prices: { 'mock/mock-small': { input: 0, output: 75 } } })] });
  running.push(gw);
  const created = await fetch(`${gw.url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'agent', budget: { dailyUsd: 5 } }),
  });
  const { secret } = (await created.json()) as { secret: string };
  const ask = (maxTokens: number) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-small', max_tokens: maxTokens, messages: [{ role: 'user', content: 'hi' }] }),
    });

  // 128,000 tokens at $75/M: up to $9.60, more than the $5 budget; nothing has been spent.
  const refused = await ask(128_000);
  expect(refused.status).toBe(402);
  const { error } = (await refused.json()) as { error: { message: string; code: string } };
  // The same key, the same moment, a smaller request: served. The budget was not used.
  expect((await ask(100)).status).toBe(200);
  expect(up.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(1);
  expect(error.message).not.toMatch(/has used its daily budget/);
});
