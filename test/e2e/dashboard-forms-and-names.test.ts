/**
 * Dashboard flows an operator hits, in a real headless Chromium against a gateway on a real socket
 * with mock upstreams.
 *
 * 1. "Add a provider" refused (a typo in the options JSON, or an API key typed where
 *    LLM_GATEWAY_SECRETS_KEY is not set): the page comes back with the error, but the form is
 *    folded away again and everything typed (id, base URL, options JSON) is gone: the operator has
 *    to open it and type it all again. Right: the refused form stays open with what was typed
 *    (the API key may be left empty), next to the error.
 * 2. The same on Keys: "Create a key" refused (here an expiry the gateway cannot read, 2027-02-30) comes back with the error and an empty, folded form.
 * 3. A virtual model whose name the config file accepts (`models` names are `^[^/\s]+$`, such as
 *    `llama3:8b`, the Ollama style) is listed on Providers & models with a Save button, but saving
 *    its edited weights is refused ("A model name is 1 to 64 letters, digits, ...") and
 *    `/admin/config/models/llama3:8b` refuses it too: such a model cannot be edited live at all.
 *    Right: the dashboard and the admin API accept every name the config accepts.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auth, dashboard, routing, usageLogger, type GatewayConfig } from '../../index.js';
import { hasChromium, launchChromium, logIn } from '../support/browser.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN_KEY = 'admin-key-of-the-review-flows-tests';

let browser: Browser;
let first: MockUpstream;
const open: Array<{ close(): Promise<void> }> = [];

describe.skipIf(!hasChromium)('dashboard forms and names, as an operator uses them', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    first = await startMockUpstream();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await first?.close();
  });
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
    first.reset();
  });

  async function start(config: Partial<GatewayConfig> = {}): Promise<{ gw: RunningGateway; page: Page; context: BrowserContext }> {
    const gw = await startGateway({
      providers: { a: { type: 'openai-compatible', baseURL: first.baseURL, listModels: false } },
      models: { fast: { targets: ['a/mock-small'] } },
      plugins: [auth({ adminKey: ADMIN_KEY }), usageLogger({ url: 'sqlite::memory:' }), routing(), dashboard({ adminKey: ADMIN_KEY })],
      ...config,
    });
    open.push(gw);
    const context = await browser.newContext();
    open.push(context);
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await logIn(page, gw.url, ADMIN_KEY);
    return { gw, page, context };
  }

  it('keeps what was typed in "Add a provider" when the change is refused', async () => {
    const { gw, page } = await start();
    await page.goto(`${gw.url}/dashboard/providers`);
    await page.click('details.add >> nth=0 >> summary');
    const form = page.locator('form[action$="/dashboard/providers"]');
    await form.locator('input[name=name]').fill('azure-eu');
    await form.locator('input[name=type]').fill('azure-openai');
    await form.locator('textarea[name=options]').fill('{"endpoint": "https://acme-eu.openai.azure.com", "apiVersion": "v1", "entraId": true,}');
    await form.locator('button').click();
    await expect.poll(() => page.textContent('.error')).toContain('options must be a JSON object');
    // The operator fixes the trailing comma: the form must still be there, with what was typed.
    const again = page.locator('form[action$="/dashboard/providers"]');
    expect(await again.isVisible()).toBe(true);
    expect(await again.locator('input[name=name]').inputValue()).toBe('azure-eu');
    expect(await again.locator('input[name=type]').inputValue()).toBe('azure-openai');
    expect(await again.locator('textarea[name=options]').inputValue()).toContain('acme-eu.openai.azure.com');
  });

  it('keeps what was typed in "Create a key" when the key is refused', async () => {
    const { gw, page } = await start();
    // One key exists, so the create form starts folded as it does on a gateway in use.
    const created = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'existing' }) });
    expect(created.status).toBeLessThan(300);
    await page.goto(`${gw.url}/dashboard/keys`);
    await page.click('details.add summary');
    const form = page.locator('form[action$="/dashboard/keys"]');
    await form.locator('input[name=name]').fill('ci-runner');
    await form.locator('input[name=team]').fill('platform');
    await form.locator('input[name=models]').fill('a/*, fast');
    await form.locator('input[name=rpm]').fill('120');
    await form.locator('input[name=monthlyUsd]').fill('25');
    // An expiry the gateway refuses (a day February does not have, typed through a browser
    // without a date picker: the field is set as the form would send it).
    await form.locator('input[name=expiresAt]').evaluate((node) => {
      const input = node as unknown as { type: string; value: string };
      input.type = 'text';
      input.value = '2027-02-30';
    });
    await form.locator('button').click();
    await expect.poll(() => page.textContent('.error')).toContain('expiresAt');
    const again = page.locator('form[action$="/dashboard/keys"]');
    expect(await again.isVisible()).toBe(true);
    expect(await again.locator('input[name=name]').inputValue()).toBe('ci-runner');
    expect(await again.locator('input[name=team]').inputValue()).toBe('platform');
    expect(await again.locator('input[name=monthlyUsd]').inputValue()).toBe('25');
  });

  it("edits a virtual model whose name the config file accepts ('llama3:8b')", async () => {
    const { gw, page } = await start({ models: { 'llama3:8b': { targets: ['a/mock-small'] } }, plugins: [usageLogger({ url: 'sqlite::memory:' }), routing(), dashboard({ adminKey: ADMIN_KEY })] });
    // The config accepted the name: the model serves.
    const served = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'llama3:8b', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(served.status).toBe(200);
    await page.goto(`${gw.url}/dashboard/providers`);
    const section = page.locator('section.model', { hasText: 'llama3:8b' });
    expect(await section.count()).toBe(1);
    await section.locator('input[name=weight] >> nth=0').fill('3');
    await section.locator('button', { hasText: 'Save' }).click();
    await expect.poll(async () => (await page.locator('.notice, .error').first().textContent()) ?? '').not.toBe('');
    expect((await page.locator('.error').count()) > 0 ? await page.textContent('.error') : 'no error').toBe('no error');
    expect(await page.textContent('.notice')).toContain('llama3:8b saved');
    // The same change through the admin API.
    const patched = await fetch(`${gw.url}/admin/config/models/${encodeURIComponent('llama3:8b')}`, { method: 'PATCH', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ targets: [{ model: 'a/mock-small', weight: 2 }] }) });
    expect(patched.status).toBe(200);
  });
});
