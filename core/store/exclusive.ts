/**
 * One change at a time to a record several replicas may change (a gateway key, the live
 * configuration's overrides). Keyv has no compare-and-set, so a read-modify-write made on two
 * replicas at once ends as the later write, the other change silently lost. `store.exclusive(name,
 * work)` runs `work` under a lease on `name` that one process holds at a time: on Redis a key set
 * only if absent (SET NX), on SQLite a row taken over only once it has run out (the gateway and
 * `llm-gateway keys` beside it share the file), on the memory store in this process.
 *
 * A lease ends when its work does, or when its time runs out: a replica that dies holding one
 * holds up changes to that name for LEASE_MS at most. Every store call a change makes has its own
 * bounded wait (2 s on Redis), so a change's work ends well within that. A change that finds the
 * name leased waits for it up to WAIT_MS, then gets a retryable 503: never a hang.
 *
 * Changes to one name in one process take their turns in line (`inLine`) before they poll for
 * the lease: fifty at once all polling one lease (a provisioning script's team budgets) left some
 * past WAIT_MS with a 503 while the lease went to whichever polled at the right moment, and on
 * SQLite each poll is a write to the file the holder writes. Only the head of the line polls,
 * and WAIT_MS starts there; the line itself is bounded (MAX_IN_LINE, QUEUE_WAIT_MS).
 */
import { randomUUID } from 'node:crypto';
import type { RedisClientType } from 'redis';
import { GatewayError } from '../errors.js';
import { storeUnavailable, withinMs } from './within-ms.js';
import { steadyNow } from './steady-now.js';

/** Longest a lease lasts when its holder neither ends it nor lives. */
export const LEASE_MS = 30_000;
/** Longest a change waits for another's lease on the same name. */
export const WAIT_MS = 5_000;
/** The first pause between tries; doubled up to MAX_PAUSE_MS, with jitter. */
const FIRST_PAUSE_MS = 10;
const MAX_PAUSE_MS = 200;
/** Changes to one name waiting in one process; more are refused at once. */
export const MAX_IN_LINE = 1_000;
/** Longest a change waits in its process's line for the changes before it. */
export const QUEUE_WAIT_MS = 30_000;

/** Leases on names: at most one holder a name, each known by the token its claim returned. */
export interface Leases {
  /** A token that holds `name` for `ttlMs`, or undefined while another holds it. */
  claim(name: string, ttlMs: number): Promise<string | undefined>;
  /** Ends the lease if `token` still holds it: one that ran out and was claimed anew is left alone. */
  release(name: string, token: string): Promise<void>;
}

export interface ExclusiveOptions {
  leaseMs?: number;
  waitMs?: number;
  queueWaitMs?: number;
}

const inProgress = (name: string) => new GatewayError('unavailable', `Another change to ${name} is under way; try again shortly.`, { code: 'change_in_progress', retryable: true, retryAfterSeconds: 1 });

/** The lines of this process's changes, by the leases they take and the name: the last in each line, and its length. */
const lines = new WeakMap<Leases, Map<string, { last: Promise<void>; length: number }>>();

/** Runs `work` holding the lease on `name`, after this process's changes before it, waiting a bounded time for another holder to finish. */
export async function exclusively<T>(leases: Leases, name: string, work: () => Promise<T>, options: ExclusiveOptions = {}): Promise<T> {
  return inLine(leases, name, options.queueWaitMs ?? QUEUE_WAIT_MS, () => underLease(leases, name, work, options));
}

async function inLine<T>(leases: Leases, name: string, queueWaitMs: number, turn: () => Promise<T>): Promise<T> {
  let byName = lines.get(leases);
  if (!byName) lines.set(leases, (byName = new Map()));
  const line = byName.get(name) ?? { last: Promise.resolve(), length: 0 };
  if (line.length >= MAX_IN_LINE) throw inProgress(name);
  const before = line.last;
  let done!: () => void;
  line.last = new Promise<void>((resolve) => (done = resolve));
  line.length++;
  byName.set(name, line);
  try {
    // `before` never fails: only the wait can.
    await withinMs(queueWaitMs, before).catch(() => {
      throw inProgress(name);
    });
    return await turn();
  } finally {
    // The next in line goes once the one before this has gone too: turns stay in order.
    void before.then(done);
    if (--line.length === 0) byName.delete(name);
  }
}

async function underLease<T>(leases: Leases, name: string, work: () => Promise<T>, options: ExclusiveOptions): Promise<T> {
  const leaseMs = options.leaseMs ?? LEASE_MS;
  const deadline = Date.now() + (options.waitMs ?? WAIT_MS);
  let pause = FIRST_PAUSE_MS;
  let token: string | undefined;
  while ((token = await leases.claim(name, leaseMs)) === undefined) {
    if (Date.now() + pause > deadline) throw inProgress(name);
    // Jittered, so that replicas which found it leased together do not all try again together.
    await new Promise((resolve) => setTimeout(resolve, pause * (0.5 + Math.random())));
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
  try {
    return await work();
  } finally {
    // A release that fails leaves the lease to run out by itself.
    await leases.release(name, token).catch(() => undefined);
  }
}

/** Leases held in this process: for the memory store, which no two processes share. Holds only names in use. */
export class LocalLeases implements Leases {
  private readonly held = new Map<string, { token: string; until: number }>();

  constructor(private readonly now: () => number = steadyNow) {}

  async claim(name: string, ttlMs: number): Promise<string | undefined> {
    const lease = this.held.get(name);
    if (lease && lease.until > this.now()) return undefined;
    const token = randomUUID();
    this.held.set(name, { token, until: this.now() + ttlMs });
    return token;
  }

  async release(name: string, token: string): Promise<void> {
    if (this.held.get(name)?.token === token) this.held.delete(name);
  }

  /** How many names are leased now (for tests: none are left behind). */
  get size(): number {
    return this.held.size;
  }
}

/** Runs one statement on a SQLite file and answers its rows (@keyv/sqlite's `query`). */
export type SqliteQuery = (sql: string, ...parameters: unknown[]) => Promise<unknown[]>;

const LEASES_TABLE = 'llm_gateway_leases';

/**
 * Leases in the SQLite file, for every process that opens it: a gateway, and `llm-gateway keys`
 * beside it. A row per leased name, taken over by an upsert only once its time has run out; its
 * RETURNING says whether this claim took it. Admin changes only: a claim is a write (about 0.5 ms).
 * The connection and the table are made at the first claim, not when the store opens: most
 * processes never change a key.
 */
export class SqliteLeases implements Leases {
  private opened: Promise<SqliteQuery> | undefined;

  constructor(
    private readonly connect: () => SqliteQuery,
    private readonly now: () => number = Date.now,
  ) {}

  /** `token`: the claim's own (the store file's owner names its process in it, for whoever finds it held). */
  async claim(name: string, ttlMs: number, token: string = randomUUID()): Promise<string | undefined> {
    const query = await this.table();
    const now = this.now();
    const taken = await query(
      `INSERT INTO ${LEASES_TABLE} (name, token, until) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET token = excluded.token, until = excluded.until WHERE ${LEASES_TABLE}.until <= ?
       RETURNING token`,
      name,
      token,
      now + ttlMs,
      now,
    );
    return taken.length === 1 ? token : undefined;
  }

  async release(name: string, token: string): Promise<void> {
    const query = await this.table();
    await query(`DELETE FROM ${LEASES_TABLE} WHERE name = ? AND token = ?`, name, token);
  }

  /** Extends the lease for `ttlMs` from now if `token` still holds it; false when another took it over. */
  async renew(name: string, token: string, ttlMs: number): Promise<boolean> {
    const query = await this.table();
    const renewed = await query(`UPDATE ${LEASES_TABLE} SET until = ? WHERE name = ? AND token = ? RETURNING token`, this.now() + ttlMs, name, token);
    return renewed.length === 1;
  }

  /** The token holding `name` now, if any. */
  async holder(name: string): Promise<string | undefined> {
    const query = await this.table();
    const [row] = (await query(`SELECT token FROM ${LEASES_TABLE} WHERE name = ? AND until > ?`, name, this.now())) as Array<{ token: string }>;
    return row?.token;
  }

  private table(): Promise<SqliteQuery> {
    if (!this.opened) {
      this.opened = (async () => {
        const query = this.connect();
        await query(`CREATE TABLE IF NOT EXISTS ${LEASES_TABLE} (name TEXT PRIMARY KEY, token TEXT NOT NULL, until INTEGER NOT NULL)`);
        return query;
      })();
      // A failed opening is tried again at the next claim.
      this.opened.catch(() => (this.opened = undefined));
    }
    return this.opened;
  }
}

/** Deletes the lease only where it is still this token's (an atomic GET and DEL). */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Leases in Redis, shared by every replica: a key set only if absent, that expires by itself. */
export class RedisLeases implements Leases {
  constructor(
    private readonly client: RedisClientType,
    /** Bound on each call to Redis (the store's key-value bound). */
    private readonly timeoutMs: number,
    private readonly prefix = 'llm-gateway:lease:',
  ) {}

  async claim(name: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const set = this.client.set(this.prefix + name, token, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } });
    try {
      return (await withinMs(this.timeoutMs, set)) === 'OK' ? token : undefined;
    } catch (cause) {
      // Set late after all: give it back, so that it holds up no one for the lease's whole time.
      set.then((answer) => (answer === 'OK' ? this.release(name, token) : undefined), () => undefined).catch(() => undefined);
      throw storeUnavailable(cause);
    }
  }

  async release(name: string, token: string): Promise<void> {
    await withinMs(this.timeoutMs, this.client.eval(RELEASE, { keys: [this.prefix + name], arguments: [token] }));
  }
}
