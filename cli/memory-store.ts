/**
 * `keys` and `teams` work on the configured store from a process of their own. A `memory` store
 * lives inside one gateway process and ends with it: the command would open a memory store of its
 * own, so a key or a budget it reported as made would be kept nowhere and reach no gateway.
 */

/** Writes why and resolves 1 when `url` is the memory store; undefined when the command can go on. */
export function refuseMemoryStore(url: string, command: 'keys' | 'teams'): number | undefined {
  if (url !== 'memory') return undefined;
  process.stderr.write(
    `llm-gateway ${command}: the store is 'memory', which lives inside a running gateway and ends with it; this command runs in a process of its own, ` +
      `so what it made would be kept nowhere and no gateway would see it. Give the config a store that outlives a process (sqlite://… or redis://…), ` +
      `or make the change on the running gateway (the admin API, /admin/keys and /admin/teams, or the dashboard).\n`,
  );
  return 1;
}
