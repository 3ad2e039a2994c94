/**
 * A record whose model name is longer than an index entry may hold is stored capped
 * (plugins/usage-logger/log/rows.ts `indexedText`), and found by the name it was served by.
 *
 * Before its fix (a review of the day's own change, bf390cc): the filter compared the full name
 * with the capped column, and found nothing. A filter on an indexed column now caps its value alike.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../core/logger.js';
import { openUsageLog } from '../../../../plugins/usage-logger/log/open-usage-log.js';
import { usageRecord } from './records.js';

describe('a model name past the index cap', () => {
  it('a record is found by the model it was served by', async () => {
    const log = await openUsageLog('sqlite::memory:', { logger: silentLogger });
    try {
      const model = '模'.repeat(200); // 600 bytes in UTF-8
      log.write(usageRecord({ model, requestedModel: model }));
      await log.flush();
      const { records } = await log.list({ model });
      // Stored at most 512 bytes of it (170 of these characters), saying it was cut.
      expect({ found: records.length, model: records[0]?.model }).toEqual({ found: 1, model: `${'模'.repeat(170)}…[truncated]` });
    } finally {
      await log.close();
    }
  });
});
