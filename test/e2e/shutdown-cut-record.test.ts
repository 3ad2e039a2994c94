/**
 * What the usage log says about a stream the shutdown deadline cut (a reliability review found it).
 *
 * docs/deployment.md: "SIGTERM ... lets in-flight requests and streams finish, up to
 * `server.shutdownTimeoutMs` ... Streams still running at that deadline are cut, and recorded as
 * errors (`server_shutdown`) in the access log, metrics and usage log, not as clients that left."
 *
 * Before its fix, core/http/exchange.ts (followClient) aborts the request with a
 * `server_shutdown` GatewayError and sets `outcome = 'error'`, but never sets `ctx.error`; the
 * usage record (plugins/usage-logger/build-record.ts: `errorCode: ctx.error?.code ?? ...`,
 * `status: ctx.error?.status ?? res.statusCode`) therefore stores an error with errorCode null and
 * status 200: nothing says why it failed, and filters/aggregates on error codes or 5xx miss every
 * stream each deploy cuts (the metrics' `error_type`, read from ctx.error, is empty the same way).
 */
import { expect, it } from 'vitest';
import { usageLogger, usageLogService, type UsageRecord } from '../../index.js';
import { startGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, wordChunks } from '../support/mock-upstream.js';

it('records a stream cut at the shutdown deadline with error code server_shutdown', async () => {
  const up = await startMockUpstream();
  const gw = await startGateway({ server: { shutdownTimeoutMs: 300 }, providers: { mock: mockProvider(up) }, plugins: [usageLogger({ url: 'sqlite::memory:' })] });
  // The records as the plugin hands them to the log (the in-memory log closes with the gateway).
  const log = gw.gateway.tryResolve(usageLogService)!;
  const written: UsageRecord[] = [];
  const write = log.write.bind(log);
  log.write = (record) => {
    written.push(record as UsageRecord);
    write(record);
  };
  try {
    up.enqueue({ stream: { chunks: wordChunks('a b c d e f g h i j k l m n o p q r s t'), chunkDelayMs: 150 } });
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'review-shutdown-cut' },
      body: JSON.stringify({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'a long answer' }] }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    const reading = (async () => {
      try {
        for (let r = await reader.read(); !r.done; r = await reader.read());
      } catch {
        // cut under it
      }
    })();
    await gw.close();
    await reading;
    const record = written.find((r) => r.clientRequestId === 'review-shutdown-cut');
    expect(record).toBeDefined();
    expect(record!.outcome).toBe('error'); // holds today
    expect(record!.errorCode).toBe('server_shutdown'); // null today
    expect(record!.status).toBeGreaterThanOrEqual(500); // 200 today
  } finally {
    await gw.close();
    await up.close();
  }
});
