/**
 * Gateway keys about to expire (`gateway:auth`'s `expiresAt`): looked at when the gateway is ready
 * and every hour after, each key told once for its expiry date, before its clients start getting
 * 401 `expired_api_key`. A key whose expiry is changed is told again for the new date.
 */
import type { PluginHost } from 'llm-gateway/plugin';
import { keyAdmin } from 'llm-gateway/plugins/auth';
import type { KeyAlert } from './messages.js';

const DAY = 86_400_000;
export const EXPIRING_KEYS_CHECK_MS = 60 * 60 * 1000;

export function watchExpiringKeys(
  host: PluginHost,
  withinDays: number,
  raiseOnce: (name: string, until: number, alert: () => KeyAlert & { at: string }) => void,
): { close(): void } {
  const check = async () => {
    const admin = host.tryResolve(keyAdmin);
    if (!admin) return;
    const now = Date.now();
    for (const key of await admin.list()) {
      const expiresAt = key.expiresAt === undefined ? NaN : Date.parse(key.expiresAt);
      if (key.status !== 'active' || !(expiresAt > now) || expiresAt - now > withinDays * DAY) continue;
      raiseOnce(`key-expiring:${key.id}:${key.expiresAt}`, expiresAt, () => ({
        type: 'key.expiring',
        key: { id: key.id, name: key.name, ...(key.team === undefined ? {} : { team: key.team }) },
        expiresAt: new Date(expiresAt).toISOString(),
        at: new Date().toISOString(),
      }));
    }
  };
  const run = () => void check().catch((error: Error) => host.logger.warn('alerts: could not look for keys about to expire', { error: error.message }));
  const stop = host.events.on('gateway:ready', run);
  const timer = setInterval(run, EXPIRING_KEYS_CHECK_MS);
  timer.unref();
  return {
    close() {
      stop();
      clearInterval(timer);
    },
  };
}
