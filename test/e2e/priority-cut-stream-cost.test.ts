/**
 * A priority stream cut short is billed from the counted tokens (plugins/token-counter/usage-of.ts)
 * at the priority rates. Before its fix the counted usage left out the tier every chunk stated
 * (the adapter keeps it only with the usage chunk, which never came): the key paid standard
 * rates, 1.7 times too little on gpt-4o, while the request had been reserved at priority. Now the
 * counted usage takes the tier the provider stated so far, else the one the request asked for.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cost, tokenCounter, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { chunk, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'priority-cut-admin-key-0123456789';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { openai: { type: 'openai', apiKey: 'sk-upstream', baseURL: upstream.baseURL, listModels: false } },
    plugins: [auth({ adminKey: ADMIN }), tokenCounter(), cost(), usageLogger()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());
const { createKey, spentUsd, loggedCostUsd } = keySpend(() => gw.url, ADMIN);

async function spendOfCut(tier: 'priority' | 'default'): Promise<{ spent: number; logged: number | null | undefined }> {
  const key = await createKey();
  const extra = { model: 'gpt-4o-2024-08-06', service_tier: tier };
  upstream.enqueue({
    stream: {
      chunks: [
        chunk({ role: 'assistant', content: '' }, null, extra),
        chunk({ content: 'Hello there, how are you today' }, null, extra),
        chunk({ content: ' and the rest' }, null, extra),
        // Written just before the socket is destroyed: may or may not arrive (says nothing billed).
        chunk({}, null, extra),
        chunk({}, 'stop', extra),
      ],
      chunkDelayMs: 30,
      cutAfter: 4,
      done: false,
    },
  });
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
  try {
    const stream = await client.chat.completions.create({ model: 'openai/gpt-4o', service_tier: tier, stream: true, messages: [{ role: 'user', content: 'say hello '.repeat(200) }] });
    for await (const _ of stream) void _;
  } catch {
    // cut
  }
  await expect.poll(() => loggedCostUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
  return { spent: await spentUsd(key.id), logged: await loggedCostUsd(key.id) };
}

describe('a priority stream cut short', () => {
  it('is billed at the priority rates its chunks stated (gpt-4o: 1.7 times standard)', async () => {
    const standard = await spendOfCut('default');
    const priority = await spendOfCut('priority');
    expect(priority.spent / standard.spent).toBeCloseTo(1.7, 6);
    expect((priority.logged ?? 0) / (standard.logged ?? 1)).toBeCloseTo(1.7, 6);
  });
});
