/**
 * A failure that repeats at request rate (a provider down, a full disk under the store) logged on
 * its first time and then at most once every `everyMs` for each key, with how many times it was
 * left out: a busy gateway's log no longer grows with its traffic during an outage (a line a
 * request, or a line a second, filled journald and disks that were already full). Keys are the
 * gateway's own (a provider id and an error code): at most `mostKeys` are remembered.
 */
export function rarely<K>(everyMs = 60_000, mostKeys = 1000): (key: K, log: (notLogged: number | undefined) => void) => void {
  const seen = new Map<K, { at: number; notLogged: number }>();
  return (key, log) => {
    const now = performance.now();
    const last = seen.get(key);
    if (last && now - last.at < everyMs) {
      last.notLogged++;
      return;
    }
    if (!last && seen.size >= mostKeys) seen.delete(seen.keys().next().value as K);
    log(last && last.notLogged > 0 ? last.notLogged : undefined);
    seen.set(key, { at: now, notLogged: 0 });
  };
}
