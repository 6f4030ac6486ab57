// The PostgreSQL server the tests use: ANNALS_TEST_DATABASE_URL, else the one every project machine runs at
// 127.0.0.1:5432 (trust auth, database `test`). Each store under test lives in a schema of its own, dropped after.
// Without a reachable server the PostgreSQL tests are skipped with a loud notice, except under CI=true, where
// .ci/run has started the server and a missing one is a failure.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.ANNALS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;

/** Whether the server answers; under CI=true, throws if it does not. */
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch (error) {
      if (process.env.CI === 'true') {
        throw new Error(`PostgreSQL at ${POSTGRES_URL} is not reachable under CI=true (${(error as Error).message})`);
      }
      process.stderr.write(`\n*** PostgreSQL at ${POSTGRES_URL} is not reachable (${(error as Error).message}):\n`
        + '*** the PostgreSQL tests are SKIPPED. Start it, or set ANNALS_TEST_DATABASE_URL. ***\n\n');
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

/** A schema name no other test run uses. */
export const newSchema = () => `annals_test_${randomBytes(6).toString('hex')}`;

/** The test server's URL with connections put in `schema` (libpq's `options`, as an operator would give it). */
export const schemaUrl = (schema: string) => `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;

export async function createSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
