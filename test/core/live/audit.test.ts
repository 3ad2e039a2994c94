/**
 * The audit trail's numbering on SQLite, whose counters are saved a second behind: a record left
 * past the saved counter (a crash, or `llm-gateway keys` beside a gateway) is never overwritten.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { appendAudit, readAudit, type AuditEntry } from '../../../core/live/audit.js';
import { silentLogger } from '../../../core/logger.js';
import { openStore } from '../../../core/store/store.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const change = (name: string) => ({ actor: 'test', action: 'set' as const, kind: 'model' as const, name, before: null, after: { targets: ['a/x'] } });

it('a record past the counter (its save lost in a crash) is kept: the next one takes the place after it', async () => {
  const store = await openStore(`sqlite://${join(dir, 'gateway.sqlite')}`, silentLogger);
  try {
    await appendAudit(store, change('first'));
    await appendAudit(store, change('second'));
    // What a process that crashed before saving its counters left: record 3, the counter at 2.
    const left: AuditEntry = { ...change('left-by-a-crash'), seq: 3, at: new Date().toISOString() };
    await store.kv<Record<`audit:${number}`, AuditEntry>>('live-config-audit').set('audit:3', left);
    await appendAudit(store, change('after-the-restart'));
    expect((await readAudit(store, 10)).map((entry) => [entry.seq, entry.name])).toEqual([
      [4, 'after-the-restart'],
      [3, 'left-by-a-crash'],
      [2, 'second'],
      [1, 'first'],
    ]);
  } finally {
    await store.close();
  }
});
