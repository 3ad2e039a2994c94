/**
 * One gateway at a time saves counters into a SQLite store file. Each keeps its counters in memory
 * and saves its whole snapshot every second (persist-behind.ts), so two on one file (two systemd
 * units by mistake, a deploy that starts the new process on a shared volume before the old one has
 * stopped) overwrite each other's counts, and a budget forgets money spent. A store that saves
 * counters holds the file's owner lease (a row of exclusive.ts's lease table, naming its process)
 * while it is open: renewed every OWNER_RENEW_MS, released on close, run out by itself
 * OWNER_LEASE_MS after a process that died. A second such store waits for the lease a bounded time
 * (a predecessor draining its requests lets go when it closes), then refuses to open, naming the
 * holder. `llm-gateway keys` and `teams` never save counters, so they open beside a gateway.
 */
import { randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from '../logger.js';
import type { SqliteLeases } from './exclusive.js';

/** The lease's name in the table exclusive.ts's changes use (theirs are `<plugin>:<record>`). */
export const OWNER_LEASE = 'llm-gateway:counters-owner';
/** Longest the lease outlives a process that died holding it. */
export const OWNER_LEASE_MS = 30_000;
export const OWNER_RENEW_MS = 10_000;
/**
 * A predecessor draining its requests (a deploy that starts the next before the last has stopped).
 * One that died holding the lease on this host is seen dead at once; on another host sharing the
 * file, a restart may need a second try once the lease has run out.
 */
export const OWNER_WAIT_MS = 15_000;
const TRY_EVERY_MS = 250;

export interface OwnerOptions {
  /** How long to wait for another gateway's lease to end before refusing to open (OWNER_WAIT_MS). */
  waitMs?: number;
  leaseMs?: number;
  renewMs?: number;
}

export interface Ownership {
  /** False once another process took the file over (this one stalled past the lease): stop saving. */
  held(): boolean;
  release(): Promise<void>;
}

/** Takes the owner lease on `file`, waiting up to `waitMs` for another holder; throws, saying who holds it, after that. */
export async function ownStoreFile(leases: SqliteLeases, file: string, logger: Logger, options: OwnerOptions = {}): Promise<Ownership> {
  const leaseMs = options.leaseMs ?? OWNER_LEASE_MS;
  const waitMs = options.waitMs ?? OWNER_WAIT_MS;
  const token = `${process.pid}@${hostname()}/${PID_NAMESPACE}/${randomUUID()}`;
  const deadline = Date.now() + waitMs;
  let warned = false;
  while ((await leases.claim(OWNER_LEASE, leaseMs, token)) === undefined) {
    const holder = await leases.holder(OWNER_LEASE).catch(() => undefined);
    if (holder !== undefined && diedHere(holder)) {
      // Killed or crashed on this machine: its lease would only make the restart wait for nothing.
      logger.warn(`${describe(holder)} held this SQLite store and is no longer running; taking it over`, { file });
      await leases.release(OWNER_LEASE, holder);
      continue;
    }
    const other = describe(holder);
    if (Date.now() + TRY_EVERY_MS > deadline) {
      throw new Error(
        `${other} is using this SQLite store (${file}): two gateways on one SQLite file overwrite each other's counters (budgets, rate limits). ` +
          `Stop the other gateway first, or run several on a shared Redis store (store: 'redis://…'). Waited ${Math.round(waitMs / 1000)} s for it to let go.`,
      );
    }
    if (!warned) logger.warn(`${other} is using this SQLite store; waiting up to ${Math.round(waitMs / 1000)} s for it to stop`, { file });
    warned = true;
    await new Promise((resolve) => setTimeout(resolve, TRY_EVERY_MS));
  }
  let held = true;
  const renew = () =>
    leases.renew(OWNER_LEASE, token, leaseMs).then(
      (still) => {
        if (still || !held) return;
        held = false;
        logger.error('another gateway took over this SQLite store while this one stalled; this one no longer saves its counters: stop it', { file });
      },
      (error: Error) => logger.warn('could not renew the hold on the SQLite store; trying again', { file, error: error.message }),
    );
  const timer = setInterval(renew, options.renewMs ?? OWNER_RENEW_MS);
  timer.unref();
  return {
    held: () => held,
    async release() {
      clearInterval(timer);
      held = false;
      // A release that fails leaves the lease to run out by itself.
      await leases.release(OWNER_LEASE, token).catch(() => undefined);
    },
  };
}

/** "another gateway (pid N on host H)" from the holder's token. */
function describe(token: string | undefined): string {
  const holder = holderOf(token);
  return holder ? `another gateway (pid ${holder.pid} on host ${holder.host})` : 'another gateway';
}

/** `pid@host/pid-namespace/uuid` (this version), or `pid@host/uuid` (the one before: no namespace known). */
function holderOf(token: string | undefined): { pid: number; host: string; namespace?: string } | undefined {
  const match = token === undefined ? null : /^(\d+)@([^/]*)\/(?:([^/]*)\/)?[^/]*$/.exec(token);
  return match ? { pid: Number(match[1]), host: match[2]!, ...(match[3] ? { namespace: match[3] } : {}) } : undefined;
}

/**
 * Which processes this one can see: its PID namespace on Linux (two containers sharing a volume and
 * a host name, with `network_mode: host`, see different processes under one pid), else none known.
 */
const PID_NAMESPACE = ((): string => {
  try {
    return readlinkSync('/proc/self/ns/pid').replace(/[^\w:[\]]/g, '');
  } catch {
    return '';
  }
})();

/**
 * Whether the holder ran where this process can see it (the same host and PID namespace) and is
 * gone. A pid taken again since reads as alive, and a holder whose namespace is not known is not
 * looked at: it waits, the safe way.
 */
function diedHere(token: string): boolean {
  const holder = holderOf(token);
  if (!holder || !PID_NAMESPACE || holder.namespace !== PID_NAMESPACE || holder.host !== hostname() || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
