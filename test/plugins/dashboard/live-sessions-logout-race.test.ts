/**
 * A logout on this replica while a check of the same session is on its way to the store: the
 * check's answer (taken before the delete) overwrites the "ended here" mark, so the replica where
 * the operator logged out lets the cookie in again, and, when the delete did not reach the store
 * (an outage), keeps letting it in until the cookie expires. live-sessions.ts promises "a session it
 * saw end stays ended here".
 * Before its fix that is what happened; now a check that comes back after a logout on this replica
 * answers logged out, and the mark stays.
 */
import { describe, expect, it } from 'vitest';
import type { TypedKv } from '../../../core/store/store.js';
import { LiveSessions, type LiveRecords } from '../../../plugins/dashboard/live-sessions.js';

describe('dashboard: a logout while a check of the session is in flight', () => {
  it('stays logged out on the replica that logged it out', async () => {
    let now = 1_000_000;
    const records = new Map<string, number>();
    let releaseGet: (() => void) | undefined;
    let holdGets = false;
    let deleteFails = false;
    const kv: TypedKv<LiveRecords> = {
      get: async (key) => {
        const value = records.get(key); // read before the logout
        if (holdGets) await new Promise<void>((r) => (releaseGet = r));
        return value;
      },
      set: async (key, value) => (records.set(key, value), true),
      delete: async (key) => (deleteFails ? Promise.reject(new Error('down')) : records.delete(key)),
      deleteMany: async (keys) => (deleteFails ? Promise.reject(new Error('down')) : keys.map((key) => records.delete(key)).some(Boolean)),
    };
    const logger = { debug() {}, info() {}, warn() {}, error() {} } as unknown as ConstructorParameters<typeof LiveSessions>[1];
    const live = new LiveSessions(kv, logger, 5_000, 60_000, () => now);
    const session = { id: 'stolen', expiresAt: now + 3_600_000 };
    await live.start(session);

    now += 6_000; // past recheckMs: the next request asks the store
    holdGets = true;
    const inFlight = live.isLive(session); // a page's request (or the thief's) asking the store
    await new Promise((r) => setTimeout(r, 10));
    deleteFails = true; // the store does not take the delete (a blip)
    await live.end(session); // the operator logs out here
    holdGets = false;
    releaseGet!();
    expect(await inFlight).toBe(false); // answered after the logout here: the logout stands

    // After the logout, on this replica: ended.
    expect(await live.isLive(session)).toBe(false);
    now += 6_000;
    expect(await live.isLive(session)).toBe(false);
  });
});
