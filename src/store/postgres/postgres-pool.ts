// Connections to the PostgreSQL store, the same for the main thread and the writer thread.
import pg from 'pg';

export interface PoolConfig {
  /** A `postgres://` connection string. */
  url: string;
  /** The schema Annals keeps its tables in; default: the connection's search_path. */
  schema?: string;
  /** Most connections (default 10). */
  max?: number;
  /** The longest any one statement may run (PostgreSQL's statement_timeout; default: as the server says). */
  statementTimeoutMs?: number;
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

/**
 * Settings of every connection, before the URL's own `options` (which may override them):
 * - no JIT: it adds tens of milliseconds to a query the planner thinks expensive, and pages are short reads;
 * - a lock waited for over 30 s, or a transaction left open for 60 s (a node that hangs holding an org lock), is an
 *   error rather than a stall of every node's ingest.
 */
const SETTINGS = ['-c jit=off', '-c lock_timeout=30s', '-c idle_in_transaction_session_timeout=60s'];

/**
 * The URL with the session settings in its libpq `options` (the schema and statement timeout, when given, after
 * the URL's own): pg takes a URL's `options` over the config's, so they must all go in one.
 */
function withOptions(url: string, config: PoolConfig): string {
  const u = new URL(url);
  const options = [...SETTINGS, u.searchParams.get('options') ?? '',
    config.schema === undefined ? '' : `-c search_path=${config.schema}`,
    config.statementTimeoutMs === undefined ? '' : `-c statement_timeout=${Math.ceil(config.statementTimeoutMs)}`];
  u.searchParams.set('options', options.filter((o) => o !== '').join(' '));
  return u.toString();
}

export function openPool(config: PoolConfig): pg.Pool {
  const pool = new pg.Pool({
    connectionString: withOptions(config.url, config),
    max: config.max ?? 10,
    types: TYPES,
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection that the server drops is replaced on the next checkout; it must not crash the process.
  pool.on('error', () => {});
  return pool;
}
