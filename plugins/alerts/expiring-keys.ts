/**
 * Gateway keys about to expire (`gateway:auth`'s `expiresAt`), told before their clients start
 * getting 401 `expired_api_key`. Looked at once an hour, by one replica (the first to claim the
 * hour), from the time the gateway is ready. Each key is told once for its expiry date (again if
 * the date changes), and the keys one look finds are told together in one alert, so a batch of
 * keys created together and expiring together is one message, not a flood that fills the
 * webhooks' queues.
 */
import type { PluginHost } from 'llm-gateway/plugin';
import { keyAdmin, type KeyView } from 'llm-gateway/plugins/auth';
import type { FirstClaim } from './first-claim.js';
import type { KeysAlert } from './messages.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Keys read at once by the hourly look. */
const SCAN_PAGE = 1_000;

export function watchExpiringKeys(
  host: PluginHost,
  withinDays: number,
  claims: FirstClaim,
  raise: (alert: KeysAlert & { at: string }, undelivered: () => void) => void,
): { close(): void } {
  const check = async () => {
    const admin = host.tryResolve(keyAdmin);
    const now = Date.now();
    // One replica a clock hour reads the keys; a reload within the hour does not read them again.
    if (!admin || !(await claims.claim(`key-scan:${Math.floor(now / HOUR)}`, (Math.floor(now / HOUR) + 1) * HOUR))) return;
    const expiring: KeyView[] = [];
    // A page at a time: only the keys about to expire are held, however many keys there are.
    let cursor: string | undefined;
    do {
      const page = await admin.page(SCAN_PAGE, cursor);
      expiring.push(...page.keys.filter((key) => {
        const expiresAt = key.expiresAt === undefined ? NaN : Date.parse(key.expiresAt);
        return key.status === 'active' && expiresAt > now && expiresAt - now <= withinDays * DAY;
      }));
      cursor = page.next;
    } while (cursor !== undefined);
    const claimName = (key: { id: string; expiresAt?: string }) => `key-expiring:${key.id}:${key.expiresAt}`;
    const told = await Promise.all(expiring.map((key) => claims.claim(claimName(key), Date.parse(key.expiresAt!))));
    const claimed = expiring.filter((_, i) => told[i]);
    // Pages come newest first: keys expiring at the same moment are told in the order they were made.
    const keys = claimed
      .reverse()
      .map((key) => ({ id: key.id, name: key.name, ...(key.team === undefined ? {} : { team: key.team }), expiresAt: new Date(key.expiresAt!).toISOString() }))
      .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
    // An alert no webhook took gives back its keys' claims: the next hour's look tells them again.
    const giveBack = () => void Promise.all(claimed.map((key) => claims.release(claimName(key))));
    if (keys.length > 0) raise({ type: 'keys.expiring', keys, at: new Date(now).toISOString() }, giveBack);
  };
  const run = () => void check().catch((error: Error) => host.logger.warn('alerts: could not look for keys about to expire', { error: error.message }));
  let timer: NodeJS.Timeout | undefined;
  // Nothing runs in the background before the gateway listens.
  const stop = host.events.on('gateway:ready', () => {
    run();
    if (timer) return;
    timer = setInterval(run, HOUR);
    timer.unref();
  });
  return {
    close() {
      stop();
      clearInterval(timer);
    },
  };
}
