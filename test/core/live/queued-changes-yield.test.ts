/**
 * Live changes queued in one process give requests a turn between them.
 *
 * Before its fix (a review of live configuration at scale): on the memory store no change waits
 * on I/O, and the changes a provisioning script had queued ran back to back (fifty of about
 * 11 ms each with 500 providers: the event loop held 0.57 s, a chat's p99 2.2 s).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLiveConfigGateways, type LiveConfigGateways } from '../../support/live-config.js';

let fixture: LiveConfigGateways;
beforeAll(async () => {
  fixture = await startLiveConfigGateways();
});
afterAll(() => fixture?.close());

it('runs the changes queued on one replica with a turn of the event loop between each', async () => {
  const gw = await fixture.start({ store: 'memory' });
  let turns = 0;
  let counting = true;
  const count = () => {
    if (!counting) return;
    turns++;
    setImmediate(count);
  };
  setImmediate(count);
  const changes = Array.from({ length: 30 }, (_, i) => gw.gateway.live.set('provider', `p${i}`, { type: 'openai-compatible', baseURL: fixture.second.baseURL, listModels: false }, 'script'));
  await Promise.all(changes);
  counting = false;
  expect(gw.gateway.live.effective().providers).toHaveLength(31);
  expect(turns, 'turns of the event loop while 30 changes ran').toBeGreaterThanOrEqual(30);
});
