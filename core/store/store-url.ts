/** What the `store` option accepts; apart from store.ts so config checks load no database driver. */
export const STORE_URL_PATTERN = '^(memory|sqlite://.+|rediss?://.+)$';
