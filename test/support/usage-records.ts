/** Waits for a request's usage record: the log writes behind, so it is flushed and read until the record is there. */
import { expect } from 'vitest';
import { usageLogService, type UsageRecord } from '../../index.js';
import type { RunningGateway } from './gateway.js';

export async function usageRecordOf(gw: RunningGateway, requestId: string, timeout = 5000): Promise<UsageRecord> {
  const log = gw.gateway.tryResolve(usageLogService);
  if (!log) throw new Error('this gateway has no usage logger');
  let record: UsageRecord | undefined;
  await expect
    .poll(
      async () => {
        await log.flush();
        record = (await log.list({ requestId })).records[0];
        return record;
      },
      { timeout },
    )
    .toBeDefined();
  return record!;
}
