/**
 * A model without a price counts as $0 toward a budget: the gateway says so in its log, once per
 * model, when a key with a budget is served by one (and not for keys without a budget).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger.js';
import { auth, definePlugin, pricing, type Pricing } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

const ADMIN = 'admin-key-for-unpriced-0123456789';
/** mock-small costs $0.001 a request; mock-large has no price. */
const somePrices = definePlugin({
  name: 'test:some-prices',
  setup(host) {
    const prices: Pricing = { costMicros: (target) => (target.model === 'mock-large' ? undefined : 1000), estimateMicros: () => 1000 };
    host.provide(pricing, prices);
  },
});

let upstream: MockUpstream;
let gw: RunningGateway;
const lines: Array<{ level: string; message: string; model?: string; keyId?: string }> = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
  const logger = createLogger({ level: 'warn', format: 'json', write: (line) => void lines.push(JSON.parse(line)) });
  gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [somePrices(), auth({ adminKey: ADMIN })] }, { logger });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

async function keyWith(spec: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) });
  return (await res.json()) as { id: string; secret: string };
}
const ask = (secret: string, model: string) => new OpenAI({ baseURL: gw.baseURL, apiKey: secret, maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
const unpricedWarnings = () => lines.filter((line) => line.level === 'warn' && line.message.includes('without a price'));

it('warns once per model when a key with a budget is served by a model without a price', async () => {
  const open = await keyWith({ name: 'no-budget' });
  await ask(open.secret, 'mock/mock-large');
  expect(unpricedWarnings()).toEqual([]);

  const capped = await keyWith({ name: 'capped', budget: { dailyUsd: 1 } });
  await ask(capped.secret, 'mock/mock-small');
  expect(unpricedWarnings()).toEqual([]);
  await ask(capped.secret, 'mock/mock-large');
  await ask(capped.secret, 'mock/mock-large');
  await expect.poll(() => unpricedWarnings().length).toBe(1);
  // Requests settle just after their answers: give the second one time to have said it again.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(unpricedWarnings()).toEqual([expect.objectContaining({ model: 'mock/mock-large', keyId: capped.id })]);
});
