/**
 * The shipped gateway.config.ts and the dashboard: `start` with LLM_GATEWAY_ADMIN_KEY set says
 * where the dashboard is and how to log in, and serves it; `check` says whether admin routes and
 * the dashboard are on, the admin key masked, and without one that they are off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../support/cli.js';

const running: RunningCli[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.stop()));
});

describe('the dashboard from the shipped config', () => {
  it('is on when LLM_GATEWAY_ADMIN_KEY is set: start prints where it is and how to log in', async () => {
    const cli = await startCli(['--port', '0'], { env: { LLM_GATEWAY_ADMIN_KEY: 'cli-test-admin-key-0123456789' } });
    running.push(cli);
    await expect.poll(() => cli.output()).toContain(`dashboard: ${cli.url}/dashboard (log in with the admin key, LLM_GATEWAY_ADMIN_KEY)`);
    const login = await fetch(`${cli.url}/dashboard/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('Log in');
    expect((await fetch(`${cli.url}/admin/logs`)).status).toBe(401);
  });

  it('check says the admin routes and the dashboard are on, never printing the admin key', () => {
    const key = 'check-test-admin-key-0123456789';
    const result = runCli(['check'], { env: { LLM_GATEWAY_ADMIN_KEY: key } });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('admin routes: need the admin key (***89)');
    expect(result.stdout).toContain('dashboard: on at /dashboard');
    expect(result.stdout + result.stderr).not.toContain(key);
  });

  it('is off without an admin key, and check says so', () => {
    const result = runCli(['check'], { env: { LLM_GATEWAY_ADMIN_KEY: '' } });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('admin routes: off (no admin key');
    expect(result.stdout).toContain('dashboard: off: no admin key: set LLM_GATEWAY_ADMIN_KEY');
    expect(result.stdout).toContain('! the dashboard is configured but off');
  });
});
