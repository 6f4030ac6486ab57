// The composition root: one store, the services over it. The HTTP server and the CLI both start here.
import { join } from 'node:path';
import { ApiKeyService } from './auth/api-keys.js';
import { ActionRegistry } from './catalogue/registry.js';
import { AnnalsError } from './domain/errors.js';
import { GroupCommitter } from './ingest/group-commit.js';
import { IngestService } from './ingest/ingest-service.js';
import { CursorCodec } from './query/cursor.js';
import { LedgerService } from './integrity/ledger-service.js';
import { SigningKeys } from './integrity/signing-keys.js';
import { QueryService } from './query/query-service.js';
import { PostgresStore } from './store/postgres/postgres-store.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import type { Store } from './store/store.js';

export interface AnnalsConfig {
  /** Where the embedded store keeps its file (default `./annals-data`). */
  dataDir: string;
  /** Overrides the database file (`:memory:` for a throw-away instance). */
  databasePath?: string;
  /**
   * A `postgres://` URL: the store is that PostgreSQL database instead of the embedded one (env
   * ANNALS_DATABASE_URL, read by the CLI). The data directory then holds only the signing keys.
   */
  databaseUrl?: string;
  /** With databaseUrl: the schema Annals keeps its tables in (default: the connection's search_path). */
  databaseSchema?: string;
  /**
   * With databaseUrl: the longest one page or count may run in the database (default 10 s, env
   * ANNALS_READ_TIMEOUT_SECONDS). The embedded store bounds a read by the rows it reads instead (ROW_BUDGET).
   */
  readTimeoutMs?: number;
  synchronous?: 'FULL' | 'NORMAL';
  /** Most events accepted in one request. */
  maxBatch?: number;
  /** false switches the Merkle tree off: for benchmarks that measure what the ledger costs, never for real data. */
  hashing?: boolean;
  /** The log's name: checkpoint origins are `<logName>/orgs/<org>` (default `annals.local`, env ANNALS_LOG_NAME). */
  logName?: string;
}

export interface Annals {
  readonly config: AnnalsConfig;
  readonly store: Store;
  readonly actions: ActionRegistry;
  readonly ingest: IngestService;
  readonly query: QueryService;
  readonly keys: ApiKeyService;
  readonly ledger: LedgerService;
  /** Waits for acknowledged work in flight, then closes the store. */
  close(): Promise<void>;
}

export const DEFAULT_DATA_DIR = 'annals-data';

/** The store a configuration names: PostgreSQL when it has a database URL, else the embedded SQLite store. */
export function openStore(config: AnnalsConfig, options: { writer?: 'thread' | 'inline' } = {}): Store {
  if (config.databaseUrl) {
    return new PostgresStore({
      url: config.databaseUrl, schema: config.databaseSchema, ledger: config.hashing, writer: options.writer,
      readTimeoutMs: config.readTimeoutMs ?? readTimeoutFromEnv(),
    });
  }
  return new SqliteStore({
    path: config.databasePath ?? join(config.dataDir, 'annals.db'),
    synchronous: config.synchronous,
    ledger: config.hashing,
    writer: options.writer,
  });
}

/** ANNALS_READ_TIMEOUT_SECONDS in milliseconds, when set. */
function readTimeoutFromEnv(): number | undefined {
  const value = process.env.ANNALS_READ_TIMEOUT_SECONDS;
  if (value === undefined || value === '') return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 2_000_000) {
    throw new AnnalsError('ANN_ERR_REQUEST_INVALID', `ANNALS_READ_TIMEOUT_SECONDS must be a number of seconds above 0 (and at most 2,000,000), not '${value}'`);
  }
  return seconds * 1000;
}

export async function openAnnals(config: AnnalsConfig): Promise<Annals> {
  const store = openStore(config);
  const logName = config.logName ?? process.env.ANNALS_LOG_NAME ?? 'annals.local';
  const actions = new ActionRegistry(store);
  const committer = new GroupCommitter(store);
  let cursors: CursorCodec;
  let keys: SigningKeys;
  try {
    cursors = new CursorCodec(await store.secret('cursor'));
    keys = SigningKeys.open(config.dataDir, logName);
  } catch (error) {
    await store.close();
    throw error;
  }
  const query = new QueryService(store, actions, cursors);
  return {
    config,
    store,
    actions,
    ingest: new IngestService(actions, committer, { maxBatch: config.maxBatch }),
    query,
    keys: new ApiKeyService(store),
    ledger: new LedgerService(store, keys, logName),
    async close() {
      query.close();
      await committer.drain();
      await store.close();
    },
  };
}
