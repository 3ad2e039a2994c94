/**
 * A provider moved to a healthy host while tries to the failing old host are on their way: those
 * tries open the old generation's circuit, which must not be announced as the deployment's.
 *
 * Before its fix (a review of the fifty-ninth session's last changes): the old generation's
 * circuit announced `circuit:change` under the deployment's bare name, so the alerts plugin told
 * `circuit.open` for a deployment whose current circuit was closed and serving, and never told it
 * closed again. An old generation's circuit is no longer announced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, circuitBreaker, dashboard } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { adminCalls, chatOutcomes } from '../support/live-config.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const ADMIN = 'admin-key-of-the-review-last-moved-alert-tests';
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

let oldHost: MockUpstream;
let newHost: MockUpstream;
let receiver: WebhookReceiver;
let gw: RunningGateway;
const admin = adminCalls(() => gw, ADMIN);
const chat = chatOutcomes(() => gw, headers);

beforeAll(async () => {
  oldHost = await startMockUpstream();
  newHost = await startMockUpstream();
  receiver = await startWebhookReceiver();
  gw = await startGateway({
    server: { adminKey: ADMIN },
    providers: { base: { type: 'openai-compatible', baseURL: newHost.baseURL, listModels: false } },
    plugins: [dashboard(), circuitBreaker({ failureThreshold: 2, cooldownMs: 60_000 }), alerts({ webhooks: [{ url: receiver.url }], budgets: false, keys: false })],
  });
});

afterAll(async () => {
  await gw?.close();
  await receiver?.close();
  await oldHost?.close();
  await newHost?.close();
});

describe("the old host's late failures after a provider moved", () => {
  it('raise no circuit.open alert for the deployment now served by a closed circuit', async () => {
    await admin('PUT', '/admin/config/providers/moved', { type: 'openai-compatible', baseURL: oldHost.baseURL, listModels: false });
    oldHost.enqueue({ delayMs: 800, status: 500, body: { error: { message: 'down' } } }, { delayMs: 800, status: 500, body: { error: { message: 'down' } } });
    const onTheirWay = [chat('moved/mock-small'), chat('moved/mock-small')];
    await new Promise((r) => setTimeout(r, 200));
    await admin('PUT', '/admin/config/providers/moved', { type: 'openai-compatible', baseURL: newHost.baseURL, listModels: false });
    await Promise.all(onTheirWay);
    expect(await chat('moved/mock-small'), 'the new host serves').toEqual({ status: 200 });
    await new Promise((r) => setTimeout(r, 500));
    const circuitAlerts = receiver.received.map((hook) => [hook.body.type, hook.body.deployment]).filter(([type]) => String(type).startsWith('circuit.'));
    expect(circuitAlerts, 'circuit alerts told').toEqual([]);
  });
});
