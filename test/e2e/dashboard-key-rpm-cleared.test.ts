/**
 * Before its fix an operator could not take a token-bucket key's rpm limit away on the dashboard:
 * the Keys page's edit form shows rpm and tpm only and keeps the key's `algorithm` and `burst`,
 * so with rpm cleared (and tpm kept) the saved change was a burst without an rpm, which the key
 * schema refuses ("Invalid change: … must have property rpm when property burst is present"): the
 * page showed that error and the key stayed limited.
 *
 * Now clearing rpm takes the token bucket with it (a burst shapes an rpm limit and means nothing
 * without one), and the page says so. In a real headless Chromium, as the operator uses it.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, dashboard } from '../../index.js';
import { hasChromium, launchChromium, logIn } from '../support/browser.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN_KEY = 'admin-key-of-the-rpm-cleared-tests';
const admin = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

let browser: Browser;
let upstream: MockUpstream;
let gw: RunningGateway;

describe.skipIf(!hasChromium)("clearing a token-bucket key's rpm on the dashboard", () => {
  beforeAll(async () => {
    browser = await launchChromium();
    upstream = await startMockUpstream();
    gw = await startGateway({
      server: { adminKey: ADMIN_KEY },
      providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
      plugins: [auth(), dashboard()],
    });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await browser?.close();
    await upstream?.close();
  });

  it('removes the token bucket with the rpm limit and keeps the tpm limit', async () => {
    const limits = { rpm: 60, algorithm: 'token-bucket', burst: 10, tpm: 1000 };
    const { id } = (await (await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'bucketed', limits }) })).json()) as { id: string };
    const page = await (await browser.newContext()).newPage();
    await logIn(page, gw.url, ADMIN_KEY);
    await page.goto(`${gw.url}/dashboard/keys`);
    const form = page.locator(`#key-${id} form.key-edit`);
    await form.locator('input[name=rpm]').fill('');
    await form.locator('button').click();
    await expect.poll(async () => (await page.locator('.notice, .error').first().textContent()) ?? '').not.toBe('');
    expect((await page.locator('.error').count()) > 0 ? await page.textContent('.error') : 'no error').toBe('no error');
    expect(await page.textContent('.notice')).toContain('Key bucketed saved; its token bucket (a burst of 10) went with its rpm limit.');

    const key = (await (await fetch(`${gw.url}/admin/keys/${id}`, { headers: admin })).json()) as { limits?: unknown };
    expect(key.limits).toEqual({ tpm: 1000 });
    // The form shows what is in force: no rpm.
    expect(await page.locator(`#key-${id} input[name=rpm]`).inputValue()).toBe('');
  });
});
