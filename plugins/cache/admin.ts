/** The cache's admin service, for the dashboard and other plugins: stats and clearing. */
import type { ClearFilter } from './entries.js';
import type { CacheStats } from './stats.js';

export interface CacheAdmin {
  /** The whole view, or one gateway key's: its requests' outcomes and the entries it caused. */
  stats(filter?: { keyId?: string }): Promise<CacheStats>;
  /** Deletes entries on every replica (all, or by model, key, age); resolves to how many this replica knew. */
  clear(filter: ClearFilter): Promise<number>;
}
