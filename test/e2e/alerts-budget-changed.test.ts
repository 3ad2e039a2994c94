/**
 * Budget alerts after a team's budget is given again with another limit in the same window (raised
 * after the first alert, or taken back and given anew): the new budget's 80 % and refusal are told.
 *
 * Before its fix (a review of key and team churn, the fifty-ninth session): the alerts' claims were
 * named by owner, window and period only, so the claims made for the old limit silenced every alert
 * about the new one for the rest of the window. Claims now carry the limit.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, auth, definePlugin, pricing, type Pricing } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const ADMIN = 'review-churn-admin-key-0123456789';
const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
/** Every request costs (and reserves) $0.001. */
const flatPricing = definePlugin({ name: 'test:flat-pricing', setup: (host) => host.provide(pricing, { costMicros: () => 1000, estimateMicros: () => 1000 } satisfies Pricing) });

let upstream: MockUpstream;
let receiver: WebhookReceiver;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  receiver = await startWebhookReceiver();
  gw = await startGateway({
    providers: { mock: mockProvider(upstream) },
    plugins: [flatPricing(), auth({ adminKey: ADMIN }), alerts({ webhooks: [{ url: receiver.url }], budgets: { thresholds: [0.8] }, circuits: false, keys: false })],
  });
});
afterAll(async () => {
  await gw?.close();
  await receiver?.close();
  await upstream?.close();
});

const team = `acme-${Date.now().toString(36)}`;
const setBudget = async (dailyUsd: number) => expect((await fetch(`${gw.url}/admin/teams/${team}`, { method: 'PUT', headers: admin, body: JSON.stringify({ budget: { dailyUsd } }) })).status).toBe(200);
const ask = (secret: string) => new OpenAI({ baseURL: gw.baseURL, apiKey: secret, maxRetries: 0 }).chat.completions.create({ model: 'mock/m', messages: [{ role: 'user', content: 'hi' }] });
const code = (error: unknown) => (error as InstanceType<typeof OpenAI.APIError>).code;

describe("a team's budget given again with a higher limit in the same window", () => {
  it('tells 80 % of the new limit, and the refusal by it', async () => {
    await setBudget(0.005);
    const key = (await (await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'indexer', team }) })).json()) as { secret: string };
    for (let i = 0; i < 5; i++) await ask(key.secret);
    expect(code(await ask(key.secret).catch((e: unknown) => e))).toBe('team_daily_budget_exceeded');
    const first = await receiver.waitFor(2);
    expect(first.map((hook) => [hook.body.type, hook.body.limitUsd])).toEqual([
      ['budget.threshold', 0.005],
      ['budget.refused', 0.005],
    ]);

    // The operator raises the team's budget (or takes it back and gives it anew): $0.010 a day.
    await setBudget(0.01);
    for (let i = 0; i < 5; i++) await ask(key.secret);
    expect(code(await ask(key.secret).catch((e: unknown) => e))).toBe('team_daily_budget_exceeded');
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Expected: 80 % of $0.010 and the refusal by $0.010 told; actual: nothing more after the first two.
    expect(receiver.received.slice(2).map((hook) => [hook.body.type, hook.body.limitUsd])).toEqual([
      ['budget.threshold', 0.01],
      ['budget.refused', 0.01],
    ]);
  });
});
