/**
 * The audit trail of live config changes: who changed what, when, from what to what. One record
 * per change under a sequence number from the store's counters (so replicas never overwrite each
 * other's), each kept a year; reading takes the newest ones (a number whose writer gave up is a gap).
 */
import { SECRET_NAME } from '../config/resolve-providers.js';
import { maskUrlPasswords } from '../mask-urls.js';
import { drawFree } from '../store/draw-free.js';
import { inBatches } from '../store/in-batches.js';
import type { Store } from '../store/store.js';

export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  /** Who made the change: the dashboard's session, an admin API caller, `config file`. */
  readonly actor: string;
  readonly action: 'set' | 'remove' | 'revert';
  readonly kind: 'provider' | 'model';
  readonly name: string;
  readonly before: unknown;
  readonly after: unknown;
}

const SEQUENCE = 'live-config:audit';
const KEEP_MS = 365 * 86_400_000;

const records = (store: Store) => store.kv<Record<`audit:${number}`, AuditEntry>>('live-config-audit');

export async function appendAudit(store: Store, entry: Omit<AuditEntry, 'at' | 'seq'>): Promise<void> {
  const seq = await drawFree(store.counters, SEQUENCE, async (n) => (await records(store).get(`audit:${n}`)) !== undefined);
  await records(store).set(`audit:${seq}`, { ...entry, seq, at: new Date().toISOString(), before: masked(entry.before), after: masked(entry.after) }, KEEP_MS);
}

/** The newest `limit` entries, newest first. */
export async function readAudit(store: Store, limit: number): Promise<AuditEntry[]> {
  const last = await store.counters.get(SEQUENCE);
  const seqs = Array.from({ length: Math.min(limit, last) }, (_, i) => last - i);
  // A hundred at a time: up to a thousand reads, on the connection requests share.
  const found = await inBatches(seqs, 100, (seq) => records(store).get(`audit:${seq}`));
  // Masked again as read: entries kept before URL passwords were masked on the way in.
  return found.filter((e): e is AuditEntry => e !== undefined).map((e) => ({ ...e, before: masked(e.before), after: masked(e.after) }));
}

/**
 * Secrets never reach the trail: a value under a secret-looking name shows its last four
 * characters, a password inside a URL (a provider's `baseURL`) is `***`.
 */
function masked(value: unknown, name = ''): unknown {
  if (typeof value === 'string') return SECRET_NAME.test(name) ? `…${value.slice(-4)}` : maskUrlPasswords(value);
  if (Array.isArray(value)) return value.map((item) => masked(item));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v, k)]));
  return value;
}
