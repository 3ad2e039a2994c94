/**
 * The dashboard in a real headless Chromium (Debian's chromium, driven by playwright-core) against
 * a gateway on a real socket, the official openai client, and mock upstreams: log in; a request
 * shows in Logs and in the Overview; a provider switched off sends the next request to the
 * fallback; a virtual model's weights edited; a key created, used and revoked; a state-changing
 * request without the CSRF token refused. Skipped, saying so, where chromium is not installed.
 */
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auth, dashboard, routing, usageLogger, usageLogService, type GatewayConfig } from '../../index.js';
import { hasChromium, launchChromium, logIn } from '../support/browser.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN_KEY = 'admin-key-of-the-dashboard-tests';

let browser: Browser;
let first: MockUpstream;
let second: MockUpstream;
const open: Array<{ close(): Promise<void> }> = [];

if (!hasChromium) console.warn('dashboard browser tests skipped: no chromium at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM_PATH)');

describe.skipIf(!hasChromium)('the dashboard in a real browser', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    first = await startMockUpstream();
    second = await startMockUpstream();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await first?.close();
    await second?.close();
  });
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
    first.reset();
    second.reset();
  });

  async function start(config: Partial<GatewayConfig> = {}): Promise<{ gw: RunningGateway; page: Page; context: BrowserContext }> {
    const gw = await startGateway({
      providers: {
        a: { type: 'openai-compatible', baseURL: first.baseURL, listModels: false },
        b: { type: 'openai-compatible', baseURL: second.baseURL, listModels: false },
      },
      models: { fast: { targets: ['a/mock-small', 'b/mock-small'] } },
      plugins: [usageLogger({ url: 'sqlite::memory:' }), routing(), dashboard({ adminKey: ADMIN_KEY, refreshSeconds: 1 })],
      ...config,
    });
    open.push(gw);
    const context = await browser.newContext();
    open.push(context);
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    return { gw, page, context };
  }

  const client = (gw: RunningGateway, apiKey = 'unused') => new OpenAI({ baseURL: gw.baseURL, apiKey, maxRetries: 0 });
  const ask = (gw: RunningGateway, model: string, apiKey?: string) => client(gw, apiKey).chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello dashboard' }] }).withResponse();

  it('logs in with the admin key (a wrong one is refused), and shows an openai client request in Logs and in the Overview', async () => {
    const { gw, page, context } = await start();
    await page.goto(`${gw.url}/dashboard`);
    await page.waitForURL(/\/dashboard\/login/);
    await page.fill('input[name=key]', 'not-the-admin-key');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('.error')).toContain('not the admin key');
    await logIn(page, gw.url, ADMIN_KEY);
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'llm_gateway_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    const { data, response } = await ask(gw, 'fast');
    const requestId = response.headers.get('x-request-id')!;
    await gw.gateway.tryResolve(usageLogService)!.flush();

    await page.goto(`${gw.url}/dashboard/logs`);
    const row = page.locator('table.logs tbody tr', { hasText: requestId.slice(0, 12) });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('a/mock-small');
    // Every request the filters match, as a file.
    const [exported] = await Promise.all([page.waitForEvent('download'), page.click('a.export-ndjson')]);
    const lines = readFileSync((await exported.path())!, 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { requestId: string }).requestId)).toEqual([requestId]);
    await row.locator('a').click();
    await page.waitForURL(new RegExp(`/dashboard/logs/${requestId}`));
    expect(await page.textContent('ol.timeline')).toContain('a/mock-small → 200');

    await page.goto(`${gw.url}/dashboard?range=1h`);
    expect(await page.textContent('[data-stat=requests]')).toBe('1');
    expect(await page.textContent('[data-stat=tokens]')).toBe(String(data.usage!.total_tokens));
    expect(await page.textContent('[data-stat=ttft]')).toMatch(/^\d+ ms$/);
    expect(await page.locator('figure.chart svg rect').count()).toBeGreaterThan(0);
    // The range's usage as a file, downloaded with the session as a browser does.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a.download')]);
    expect(download.suggestedFilename()).toMatch(/^usage-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8').trimEnd().split('\r\n');
    expect(csv[0]).toMatch(/^bucket,provider,model,keyId,team,requests,/);
    expect(csv).toHaveLength(2);
    expect(csv[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z,a,mock-small,,,1,0,0,/);
    // The live refresh brings the new numbers, with one request per refresh.
    await ask(gw, 'fast');
    await gw.gateway.tryResolve(usageLogService)!.flush();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await expect.poll(() => page.textContent('[data-stat=requests]'), { timeout: 10_000 }).toBe('2');
    const refreshes = requests.filter((u) => u.includes('/dashboard/overview/body')).length;
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(requests).toHaveLength(refreshes);
  });

  it('disables a provider, and the next request goes to the fallback', async () => {
    const { gw, page } = await start();
    expect((await ask(gw, 'fast')).response.headers.get('x-gateway-provider')).toBe('a');
    await logIn(page, gw.url, ADMIN_KEY);
    await page.goto(`${gw.url}/dashboard/providers`);
    await page.click('#provider-a button[name=toggle]');
    await expect.poll(() => page.textContent('#provider-a .state')).toBe('disabled');
    expect(await page.textContent('.notice')).toContain('Provider a disabled');
    expect((await ask(gw, 'fast')).response.headers.get('x-gateway-provider')).toBe('b');

    await page.click('#provider-a button[name=toggle]');
    await expect.poll(() => page.textContent('#provider-a .state')).toBe('enabled');
    expect((await ask(gw, 'fast')).response.headers.get('x-gateway-provider')).toBe('a');
    // Back to the file's entry: no override is left.
    expect(gw.gateway.live.effective().providers.find((p) => p.name === 'a')?.origin).toBe('file');
  });

  it("edits a virtual model's weights and strategy; the Config page shows the override and the audit trail", async () => {
    const { gw, page } = await start();
    await logIn(page, gw.url, ADMIN_KEY);
    await page.goto(`${gw.url}/dashboard/providers`);
    const form = page.locator('#model-fast form').first();
    await form.locator('input[name=weight]').nth(0).fill('1');
    await form.locator('input[name=weight]').nth(1).fill('3');
    await form.locator('select[name=strategy]').selectOption('weighted');
    await form.locator('button', { hasText: 'Save fast' }).click();
    await expect.poll(() => page.textContent('.notice')).toContain('Virtual model fast saved');
    expect(gw.gateway.live.effective().models.find((m) => m.name === 'fast')).toMatchObject({
      origin: 'override',
      value: { strategy: 'weighted', targets: [{ model: 'a/mock-small', weight: 1 }, { model: 'b/mock-small', weight: 3 }] },
    });
    expect(await page.textContent('#model-fast .badge')).toBe('override');

    await page.goto(`${gw.url}/dashboard/config`);
    expect(await page.textContent('#config-models-fast')).toContain('live override');
    expect(await page.textContent('table.audit')).toContain('dashboard session');
    await page.click('#config-models-fast button');
    await expect.poll(() => page.textContent('#config-models-fast .badge')).toBe('from the file');
  });

  it('creates a key (its secret shown once), rotates it with a grace period (the new secret shown once), and revokes it', async () => {
    const { gw, page } = await start({ plugins: [auth({ adminKey: ADMIN_KEY }), usageLogger({ url: 'sqlite::memory:' }), dashboard({ adminKey: ADMIN_KEY })] });
    await logIn(page, gw.url, ADMIN_KEY);
    await page.goto(`${gw.url}/dashboard/keys`);
    await page.fill('details.add input[name=name]', 'browser-app');
    await page.fill('details.add input[name=dailyUsd]', '5');
    await page.click('details.add button');
    const secret = (await page.locator('#new-secret').textContent())!;
    expect(secret).toMatch(/^gw-/);
    expect((await ask(gw, 'a/mock-small', secret)).response.status).toBe(200);

    await page.reload();
    expect(await page.locator('#new-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    const row = page.locator('table.keys tbody tr', { hasText: 'browser-app' });
    await row.locator('select[name=graceSeconds]').selectOption('3600');
    await row.locator('button', { hasText: 'Rotate' }).click();
    await expect.poll(() => page.textContent('.notice')).toContain('browser-app has a new secret; its old secret is accepted until');
    const rotated = (await page.locator('#new-secret').textContent())!;
    expect(rotated).toMatch(/^gw-/);
    expect(rotated).not.toBe(secret);
    expect(await row.locator('small').textContent()).toContain(`old ${secret.slice(0, 7)}…`);
    // Within the hour both work; the key is the same.
    for (const each of [secret, rotated]) expect((await ask(gw, 'a/mock-small', each)).response.status).toBe(200);

    await row.locator('button', { hasText: 'Revoke' }).click();
    await expect.poll(() => row.locator('.state').textContent()).toBe('revoked');
    for (const each of [secret, rotated]) await expect(ask(gw, 'a/mock-small', each)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("gives a team a budget, which its keys are held to at once, changes it, and takes it back", async () => {
    const { gw, page } = await start({ plugins: [auth({ adminKey: ADMIN_KEY, teams: { platform: { budget: { monthlyUsd: 50 } } } }), usageLogger({ url: 'sqlite::memory:' }), dashboard({ adminKey: ADMIN_KEY })] });
    const created = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'search-web', team: 'search' }) });
    const { secret } = (await created.json()) as { secret: string };
    await logIn(page, gw.url, ADMIN_KEY);
    await page.goto(`${gw.url}/dashboard/keys`);
    // The config's team is listed with its budget, marked as the config's (no Remove).
    const platform = page.locator('#team-platform');
    expect(await platform.locator('input[name=monthlyUsd]').inputValue()).toBe('50');
    expect(await platform.textContent()).toContain('from the config');

    await page.click('details.add-team summary');
    await page.fill('details.add-team input[name=team]', 'search');
    await page.fill('details.add-team input[name=monthlyUsd]', '0');
    await page.click('details.add-team button');
    await expect.poll(() => page.textContent('.notice')).toContain("Team search's budget saved");
    const refused = (await ask(gw, 'a/mock-small', secret).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(refused.status).toBe(402);
    expect(refused.code).toBe('team_monthly_budget_exceeded');

    const search = page.locator('#team-search');
    await search.locator('input[name=monthlyUsd]').fill('10');
    await search.locator('button', { hasText: 'Save' }).click();
    // The page as the gateway sent it back: the team's budget cell says the new limit.
    await expect.poll(() => search.locator('td').nth(3).textContent()).toContain('/ $10');
    expect((await ask(gw, 'a/mock-small', secret)).response.status).toBe(200);

    await search.locator('button', { hasText: 'Remove' }).click();
    await expect.poll(() => page.textContent('.notice')).toContain("Team search's budget given here is taken back");
    // Listed now only for its requests this month (once the usage log has written them), without a budget.
    expect(await page.locator('#team-search button', { hasText: 'Remove' }).count()).toBe(0);
    expect(await page.locator('#team-search input[name=monthlyUsd][value="10"]').count()).toBe(0);
    const teams = (await (await fetch(`${gw.url}/admin/teams`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as { data: Array<{ team: string }> };
    expect(teams.data.map((t) => t.team)).toEqual(['platform']);
    expect((await ask(gw, 'a/mock-small', secret)).response.status).toBe(200);
  });

  it('refuses a state-changing request without the CSRF token, and accepts it with the token', async () => {
    const { gw, page } = await start();
    await logIn(page, gw.url, ADMIN_KEY);
    await page.goto(`${gw.url}/dashboard/providers`);
    const post = (withToken: boolean) =>
      page.evaluate(async (withToken) => {
        // Runs in the page: `document` is the browser's.
        const body = (globalThis as unknown as { document: { body: { getAttribute(name: string): string | null } } }).document.body;
        const token = JSON.parse(body.getAttribute('hx-headers')!)['x-csrf-token'] as string;
        const response = await fetch('/dashboard/providers/a/toggle', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(withToken ? { 'x-csrf-token': token } : {}) },
          body: 'enabled=false',
        });
        return { status: response.status, text: await response.text() };
      }, withToken);
    const refused = await post(false);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('csrf_failed');
    expect(gw.gateway.live.overrides().providers).toEqual({});
    expect((await post(true)).status).toBe(200);
    expect(gw.gateway.live.overrides().providers.a).toMatchObject({ enabled: false });
  });
});
