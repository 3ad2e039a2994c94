/**
 * Redis databases that a test file empties (FLUSHDB) or reads whole, one per file. Files run
 * several at a time (vitest.config.ts), so two files sharing a database erase each other's data
 * mid-test. Every other test on Redis uses database 0 under a namespace of its own.
 */
const databases = {
  cacheClearsOnRedis: 3,
  keyPagesRedisPause: 4,
  roundRobinCursorExpiry: 5,
  cacheReplicas: 6,
  dashboardConfigApi: 7,
  keyChangesOnTwoReplicas: 8,
  dashboardSessionsOnTwoReplicas: 9,
  cacheStatsOfRevokedKeys: 10,
  dashboardKeysPageReads: 11,
  upgradeLiveConfigOverrides: 12,
  dashboardSessionAfterStoreLoss: 13,
  storeDataLoss: 14,
  twoReplicasLiveChanges: 15,
} as const;

const numbers = Object.values(databases);
if (new Set(numbers).size !== numbers.length) throw new Error(`two test files share a Redis database: ${JSON.stringify(databases)}`);

/** `url` (REDIS_URL) pointed at the database `owner` has to itself. */
export function ownRedisDatabase(url: string, owner: keyof typeof databases): string {
  return Object.assign(new URL(url), { pathname: `/${databases[owner]}` }).toString();
}
