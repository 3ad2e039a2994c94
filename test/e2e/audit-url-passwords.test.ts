/**
 * The live-config audit trail shows a password inside a provider's URL
 * (`https://user:password@proxy/v1`) as `***`, in GET /admin/config/audit and on the dashboard's
 * Config page, as GET /admin/config and the other pages do (docs/dashboard.md). Before its fix, the
 * trail's own masking went by option names only and kept such a password in clear.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboard } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { logInWithFetch } from '../plugins/dashboard/login.js';

const ADMIN = 'admin-key-of-the-audit-review-tests';
let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    server: { adminKey: ADMIN },
    providers: { a: { type: 'openai-compatible', baseURL: 'https://proxyuser:hunter2-file-pass@proxy.example/v1', listModels: false } },
    plugins: [dashboard()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const adminHeaders = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

describe('the audit trail and URL passwords', () => {
  it('masks a password inside a provider URL in GET /admin/config/audit and on the Config page', async () => {
    const put = await fetch(`${gw.url}/admin/config/providers/a`, {
      method: 'PUT',
      headers: adminHeaders,
      body: JSON.stringify({ type: 'openai-compatible', baseURL: 'https://proxyuser:hunter2-live-pass@proxy2.example/v1', listModels: false }),
    });
    expect(put.status).toBe(200);
    // What GET /admin/config shows is masked already (the test of that exists)...
    expect(await (await fetch(`${gw.url}/admin/config`, { headers: adminHeaders })).text()).not.toContain('hunter2');
    // ...the audit trail is not.
    const audit = await (await fetch(`${gw.url}/admin/config/audit`, { headers: adminHeaders })).text();
    expect(audit).toContain('proxy2.example');
    expect(audit, 'GET /admin/config/audit').not.toContain('hunter2-live-pass');
    expect(audit, 'GET /admin/config/audit').not.toContain('hunter2-file-pass');
    const { cookie } = await logInWithFetch(gw.url, ADMIN);
    const page = await (await fetch(`${gw.url}/dashboard/config`, { headers: { cookie: cookie! } })).text();
    expect(page, '/dashboard/config').not.toContain('hunter2-live-pass');
    expect(page, '/dashboard/config').not.toContain('hunter2-file-pass');
  });
});
