/**
 * A real headless Chromium for the dashboard's end-to-end tests: Debian's `chromium` (CI installs
 * it, see .ci/run), driven by playwright-core, which downloads nothing. Each launch gets a fresh
 * temporary profile; tests make a context (own cookies) per scenario.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Logs in to the dashboard of the gateway at `url` and leaves the page on the Overview. */
export async function logIn(page: Page, url: string, adminKey: string): Promise<void> {
  await page.goto(`${url}/dashboard`);
  await page.waitForURL(/\/dashboard\/login/);
  await page.fill('input[name=key]', adminKey);
  await Promise.all([page.waitForURL(`${url}/dashboard`), page.click('button[type=submit]')]);
}
