/**
 * `bodies.maxBytes` has a maximum, 1 MiB a body: before, it had none, and neither had a page of
 * `/admin/logs` (500 records of two bodies each), nor a record in the write batch.
 */
import { expect, it } from 'vitest';
import { usageLogger } from '../../../index.js';
import { startGateway } from '../../support/gateway.js';

it('refuses a body cap past 1 MiB, saying which option', async () => {
  expect(() => usageLogger({ url: 'sqlite::memory:', bodies: { response: true, maxBytes: 2_000_000 } })).toThrow(/options\/bodies\/maxBytes must be <= 1048576 \(found 2000000\)/);
  const gw = await startGateway({ providers: {}, plugins: [usageLogger({ url: 'sqlite::memory:', bodies: { response: true, maxBytes: 1_048_576 } })] });
  await gw.close();
});
