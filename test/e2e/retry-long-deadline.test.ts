/**
 * retry() options the schema accepts, through real sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { retry } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

describe('retry deadlineMs', () => {
  let up: MockUpstream | undefined;
  let gw: RunningGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    await up?.close();
  });

  // plugins/retry/index.ts: `deadlineMs` is "Total time for the request, from its arrival, across
  // every try" and its schema is `{ type: 'integer', minimum: 1 }` with no maximum, so a long
  // deadline (an operator who wants none: 30 days, 1e12) is accepted at start. The deadline is armed
  // with setTimeout (core/context.ts abortAt), and Node turns any delay over 2^31−1 ms (~24.8 days)
  // into 1 ms (TimeoutOverflowWarning): every request is then cut at once with 504
  // `deadline_exceeded`, a gateway that serves nothing.
  it('a very long deadline does not cut every request at once', async () => {
    up = await startMockUpstream();
    gw = await startGateway({ providers: { p: mockProvider(up) }, plugins: [retry({ deadlineMs: 30 * 86_400_000 })] });
    up.enqueue({ delayMs: 100, body: completion() });
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'p/m', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await res.text();
    // Before its fix: 504 {"error":{..."code":"deadline_exceeded"...}}
    expect(res.status, text).toBe(200);
  });
});
