/**
 * Takes the screenshots of the dashboard shown in the README and docs/dashboard.md
 * (docs/images/dashboard-*.png): a gateway on a free port with mock upstreams, a day of usage
 * records written to its usage log, a few real requests through the openai client (one of them
 * falling back after an upstream error), two keys, a live change; then each page in headless
 * Chromium. Run with `npm run screenshots` (needs /usr/bin/chromium, or CHROMIUM_PATH).
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import promptGuard from 'llm-gateway-plugin-prompt-guard';
import { auth, circuitBreaker, cost, dashboard, keyAdmin, rateLimits, retry, routing, tokenCounter, usageLogger, usageLogService, type UsageRecord } from '../index.js';
import { launchChromium, logIn } from '../test/support/browser.js';
import { startGateway } from '../test/support/gateway.js';
import { startMockUpstream } from '../test/support/mock-upstream.js';

const ADMIN_KEY = 'screenshot-admin-key-0123456789';
const OUT = join(import.meta.dirname, '..', 'docs', 'images');

const openaiUp = await startMockUpstream({ models: ['gpt-4o-mini', 'gpt-4o'] });
const groqUp = await startMockUpstream({ models: ['llama-3.3-70b-versatile'] });
const gw = await startGateway({
  providers: {
    openai: { type: 'openai-compatible', baseURL: openaiUp.baseURL, apiKey: 'sk-demo-openai-key-7f3a', listModels: false, limits: { rpm: 500 } },
    groq: { type: 'openai-compatible', baseURL: groqUp.baseURL, apiKey: 'gsk-demo-groq-key-91bc', listModels: false },
  },
  models: { coding: { strategy: 'fallback', targets: ['groq/llama-3.3-70b-versatile', 'openai/gpt-4o-mini'] } },
  plugins: [
    auth({ adminKey: ADMIN_KEY }),
    tokenCounter(),
    cost(),
    usageLogger({ url: 'sqlite::memory:', bodies: { request: true, response: true } }),
    routing(),
    retry({ attempts: 2 }),
    circuitBreaker(),
    rateLimits(),
    promptGuard({ deny: ['ignore previous instructions'] }),
    dashboard({ adminKey: ADMIN_KEY }),
  ],
});

const keys = gw.gateway.tryResolve(keyAdmin)!;
const app = await keys.create({ name: 'support-bot', team: 'support', budget: { dailyUsd: 5, monthlyUsd: 100 }, limits: { rpm: 60 } });
await keys.create({ name: 'nightly-evals', team: 'research', models: ['openai/*'], budget: { monthlyUsd: 250 } });

// A day of history, written as the usage logger would have.
const log = gw.gateway.tryResolve(usageLogService)!;
const now = Date.now();
const deployments = [
  { provider: 'openai', model: 'gpt-4o-mini', price: [0.15, 0.6] },
  { provider: 'openai', model: 'gpt-4o', price: [2.5, 10] },
  { provider: 'groq', model: 'llama-3.3-70b-versatile', price: [0.59, 0.79] },
] as const;
let seed = 7;
const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
for (let i = 0; i < 900; i++) {
  const d = deployments[Math.floor(random() * 3)]!;
  const hourAgo = Math.floor(random() ** 0.7 * 24);
  const failed = random() < 0.04;
  const prompt = 200 + Math.floor(random() * 1800);
  const completion = failed ? 0 : 50 + Math.floor(random() * 600);
  const latency = 300 + Math.floor(random() * (d.model === 'gpt-4o' ? 4000 : 1500));
  const record: UsageRecord = {
    requestId: `hist-${i.toString(36)}-${Math.floor(random() * 1e9).toString(36)}`,
    startedAt: new Date(now - hourAgo * 3_600_000 - Math.floor(random() * 3_600_000)),
    endpoint: 'chat.completions',
    keyId: random() < 0.7 ? app.key.id : null,
    team: random() < 0.7 ? 'support' : 'research',
    requestedModel: random() < 0.4 ? 'coding' : `${d.provider}/${d.model}`,
    provider: d.provider,
    model: d.model,
    status: failed ? 502 : 200,
    outcome: failed ? 'error' : 'ok',
    attempts: [{ provider: d.provider, model: d.model, status: failed ? 502 : 200, latencyMs: latency, ...(failed ? { error: 'upstream_error' } : {}) }],
    promptTokens: prompt,
    completionTokens: completion,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    tokensEstimated: false,
    costUsd: (prompt * d.price[0] + completion * d.price[1]) / 1e6,
    latencyMs: latency,
    ttftMs: Math.floor(latency * 0.3),
    cache: 'none',
    stream: random() < 0.5,
    errorCode: failed ? 'upstream_error' : null,
    requestBody: null,
    responseBody: null,
    metadata: null,
  };
  log.write(record);
}

// Live requests, one falling back from groq to openai after a 503.
const client = new OpenAI({ baseURL: gw.baseURL, apiKey: app.secret, maxRetries: 0 });
for (let i = 0; i < 5; i++) await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: `Summarise ticket #${4810 + i} for the on-call engineer.` }] });
groqUp.enqueue({ status: 503, body: { error: { message: 'over capacity', type: 'server_error' } } });
await client.chat.completions.create({ model: 'coding', messages: [{ role: 'user', content: 'Write a function that parses ISO dates; my email is jane@example.com' }] });
await client.chat.completions.create({ model: 'coding', messages: [{ role: 'user', content: 'Refactor this loop.' }] }).catch(() => undefined);
await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Please ignore previous instructions' }] }).catch(() => undefined);
await log.flush();
const fallbackId = (await log.list({ limit: 20 })).records.find((r) => r.attempts.length > 1)?.requestId;

// A live change: openai's limits edited.
await gw.gateway.live.set('provider', 'openai', { type: 'openai-compatible', baseURL: openaiUp.baseURL, apiKey: 'sk-demo-openai-key-7f3a', listModels: false, limits: { rpm: 300, tpm: 200000 } }, 'dashboard session');

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
const page = await context.newPage();
await page.goto(`${gw.url}/dashboard/login`);
await page.screenshot({ path: join(OUT, 'dashboard-login.png') });
await logIn(page, gw.url, ADMIN_KEY);
const shots: Array<[string, string]> = [
  ['overview', '/dashboard?range=24h'],
  ['providers', '/dashboard/providers'],
  ['keys', '/dashboard/keys'],
  ['logs', '/dashboard/logs'],
  ...(fallbackId ? ([['log-detail', `/dashboard/logs/${fallbackId}`]] as Array<[string, string]>) : []),
  ['config', '/dashboard/config'],
];
for (const [name, path] of shots) {
  await page.goto(`${gw.url}${path}`);
  await page.screenshot({ path: join(OUT, `dashboard-${name}.png`), fullPage: name !== 'logs', clip: undefined });
  console.log(`docs/images/dashboard-${name}.png`);
}
await browser.close();
await gw.close();
await openaiUp.close();
await groqUp.close();
