// Connections to the PostgreSQL store, the same for the main thread and the writer thread.
import pg from 'pg';

export interface PoolConfig {
  /** A `postgres://` connection string. */
  url: string;
  /** The schema Annals keeps its tables in; default: the connection's search_path. */
  schema?: string;
  /** Most connections (default 10). */
  max?: number;
}

/** int8 (seq, epoch ms) as JS numbers: every one the store writes is below 2^53. */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/** A plain lower-case identifier: the only schema names taken (they are written into SQL). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function openPool(config: PoolConfig): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.max ?? 10,
    types: TYPES,
    connectionTimeoutMillis: 10_000,
    ...(config.schema === undefined ? {} : { options: `-c search_path=${config.schema}` }),
  });
  // An idle connection that the server drops is replaced on the next checkout; it must not crash the process.
  pool.on('error', () => {});
  // Every connection, before its first statement (pg queues these ahead of it):
  // - no JIT: it adds tens of milliseconds to a query the planner thinks expensive, and pages are short reads;
  // - a lock waited for over 30 s, or a transaction left open for 60 s (a node that hangs holding an org lock),
  //   is an error rather than a stall of every node's ingest.
  pool.on('connect', (client) => {
    client.query("SET jit = off; SET lock_timeout = '30s'; SET idle_in_transaction_session_timeout = '60s'").catch(() => {});
  });
  return pool;
}
