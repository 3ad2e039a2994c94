/**
 * A PostgreSQL database of its own for one test file (the usage-logger plugin writes to the
 * `public` schema of the database its URL names, so a database of our own keeps other tests'
 * rows apart), dropped afterwards. Needs DATABASE_URL (trust auth, a role allowed CREATE DATABASE).
 */
import pg from 'pg';

export const DATABASE_URL = process.env.DATABASE_URL;

export async function adminQuery(sql: string, values: unknown[] = [], url = DATABASE_URL): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

export interface ThrowawayDatabase {
  name: string;
  url: string;
  query(sql: string, values?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

export async function throwawayDatabase(label: string): Promise<ThrowawayDatabase> {
  const name = `review_usage_${label}_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(DATABASE_URL!);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    query: (sql, values = []) => adminQuery(sql, values, url.toString()),
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
