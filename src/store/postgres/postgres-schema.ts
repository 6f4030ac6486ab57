// The PostgreSQL store's schema, as numbered migrations run on start (annals_schema holds the last one applied).
//
// Layout (schema 1):
// - Every table of an org's data has org_id leading its primary key and every unique key, so the schema distributes
//   by org with Citus unchanged: `events`, `ledger`, `event_entities`, `merkle_nodes`, `checkpoints`,
//   `idempotency`, `actions`, `actor_aliases` (and, from schema 2, `rollups`) are distributed tables (`create_distributed_table('<t>', 'org_id')`,
//   colocated with `orgs`, distributed by its `id`), `api_keys`, `annals_meta` and `annals_schema` reference tables
//   (`create_reference_table('<t>')`). So that this needs no change, `api_keys.org_id` has no foreign key (a
//   reference table cannot point into a distributed one): the store checks the org exists before it adds a key.
// - `events` is partitioned by event time (`time_ms`), one partition per UTC month (`events_pYYYYMM`), created ahead
//   of time on start and daily, and on demand for any month an append touches (ensurePartitions). It holds the
//   body (the event's ledger leaf, canonical JSON), the copies of its fields that searches filter on, and `tsv`, a
//   generated tsvector over `words` (the free-text document as words, folded as the embedded store folds them:
//   see domain/words.ts) with a GIN index.
// - `ledger` is the Merkle log by seq: one row per event (id, event time, processing time, leaf hash). Proofs,
//   verification and the processing-time order (the events-stream) read it; it finds an event's row in `events`
//   by (org_id, time_ms, seq), the events primary key.
// - `orgs.frontier` is the org's compact range and `orgs` row is the per-org lock that serialises appends from any
//   number of Annals processes (see postgres-append.ts); `merkle_nodes` holds every complete interior node.
// - `event_entities` indexes the entities an event names (context, container, the token that acted) by id.
//
// Schema 2 adds `rollups`: per org, hour and day, how many events in total and by action, actor, country and outcome
// (see store/rollups.ts), written by each append in its transaction, counted from the events already stored when the
// migration runs.
import type { Pool, PoolClient } from 'pg';
import { DIMS, GRAINS } from '../rollups.js';
import { OUTCOME_CODE } from '../rows.js';

export { OUTCOME_CODE, ROLE_CODE } from '../rows.js';

/** PostgreSQL text cannot hold NUL: a value with one can be neither stored nor matched. */
export const storable = (s: string) => !s.includes('\u0000');

/** Serialises migrations and partition creation across every Annals process on the database. */
export const DDL_LOCK = 0x616e6e61; // 'anna'

const V1 = `
  CREATE TABLE annals_meta (
    name  text PRIMARY KEY,
    value bytea NOT NULL
  );
  CREATE TABLE orgs (
    id                text PRIMARY KEY,
    name              text NOT NULL,
    created_ms        bigint NOT NULL,
    next_seq          bigint NOT NULL DEFAULT 0,
    last_processed_ms bigint NOT NULL DEFAULT 0,
    frontier          bytea NOT NULL DEFAULT '\\x'
  );
  CREATE TABLE api_keys (
    id         text PRIMARY KEY,
    org_id     text,
    name       text NOT NULL,
    scopes     text NOT NULL,
    hash       bytea NOT NULL,
    created_ms bigint NOT NULL,
    revoked_ms bigint
  );
  CREATE INDEX api_keys_by_org ON api_keys (org_id);
  CREATE TABLE actions (
    org_id       text NOT NULL,
    key          text NOT NULL,
    display_name text NOT NULL,
    category     text NOT NULL,
    product      text NOT NULL,
    operation    text NOT NULL,
    created_ms   bigint NOT NULL,
    PRIMARY KEY (org_id, key)
  );
  CREATE TABLE events (
    org_id       text NOT NULL,
    time_ms      bigint NOT NULL,
    seq          bigint NOT NULL,
    id           text NOT NULL,
    processed_ms bigint NOT NULL,
    action       text NOT NULL,
    actor_id     text NOT NULL,
    ip           bytea,
    country      text,
    city         text,
    outcome      smallint NOT NULL,
    body         text NOT NULL,
    words        text NOT NULL,
    tsv          tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, words)) STORED,
    PRIMARY KEY (org_id, time_ms, seq)
  ) PARTITION BY RANGE (time_ms);
  CREATE INDEX events_by_action ON events (org_id, action, time_ms, seq);
  CREATE INDEX events_by_actor ON events (org_id, actor_id, time_ms, seq);
  CREATE INDEX events_by_ip ON events (org_id, ip, time_ms, seq);
  CREATE INDEX events_by_country ON events (org_id, lower(country COLLATE "C"), time_ms, seq);
  CREATE INDEX events_failed ON events (org_id, time_ms, seq) WHERE outcome = 1;
  CREATE INDEX events_text ON events USING gin (tsv);
  CREATE TABLE ledger (
    org_id       text NOT NULL,
    seq          bigint NOT NULL,
    id           text NOT NULL,
    time_ms      bigint NOT NULL,
    processed_ms bigint NOT NULL,
    leaf_hash    bytea NOT NULL,
    PRIMARY KEY (org_id, seq)
  );
  CREATE UNIQUE INDEX ledger_by_id ON ledger (org_id, id);
  CREATE INDEX ledger_by_processed ON ledger (org_id, processed_ms, seq);
  CREATE TABLE event_entities (
    org_id  text NOT NULL,
    id      text NOT NULL,
    role    smallint NOT NULL,
    type    text NOT NULL,
    time_ms bigint NOT NULL,
    seq     bigint NOT NULL,
    PRIMARY KEY (org_id, id, role, type, time_ms, seq)
  );
  CREATE TABLE actor_aliases (
    org_id   text NOT NULL,
    alias    text NOT NULL,
    actor_id text NOT NULL,
    PRIMARY KEY (org_id, alias, actor_id)
  );
  CREATE TABLE idempotency (
    org_id      text NOT NULL,
    key         text NOT NULL,
    seq         bigint NOT NULL,
    fingerprint bytea,
    PRIMARY KEY (org_id, key)
  );
  CREATE TABLE merkle_nodes (
    org_id text NOT NULL,
    level  smallint NOT NULL,
    idx    bigint NOT NULL,
    hash   bytea NOT NULL,
    PRIMARY KEY (org_id, level, idx)
  );
  CREATE TABLE checkpoints (
    org_id  text NOT NULL,
    size    bigint NOT NULL,
    root    bytea NOT NULL,
    time_ms bigint NOT NULL,
    note    text NOT NULL,
    PRIMARY KEY (org_id, size)
  );
`;

/** The value each rollup dim counts, as SQL over an events row `e`: from its columns, or from its body (`j`, jsonb). */
const ROLLUP_VALUES = {
  columns: { action: 'e.action', actor: 'e.actor_id', country: 'e.country', outcome: `CASE WHEN e.outcome = ${OUTCOME_CODE.failure} THEN 'failure' ELSE 'success' END` },
  body: { action: "j->>'action'", actor: "j->'actor'->>'id'", country: "j->'location'->>'countryName'", outcome: "j->>'outcome'" },
} as const;

/**
 * Rollup rows (org_id, dim, grain, bucket, value, n) counted from the stored events of `org` (a parameter, or every
 * org), their values read from the columns or from the bodies.
 */
export function rollupCountsSql(from: keyof typeof ROLLUP_VALUES, org?: string): string {
  const v = ROLLUP_VALUES[from];
  const dims = [[DIMS.total, "''"], [DIMS.action, v.action], [DIMS.actor, v.actor], [DIMS.country, v.country], [DIMS.outcome, v.outcome]];
  const grains = GRAINS.map((g) => `(${g.code}, ${g.ms}::bigint)`).join(', ');
  return `SELECT e.org_id, d.dim::smallint AS dim, g.grain::smallint AS grain, (e.time_ms / g.ms) * g.ms AS bucket, d.value, count(*)::bigint AS n
    FROM ${from === 'body' ? '(SELECT *, body::jsonb AS j FROM events) e' : 'events e'}
    CROSS JOIN (VALUES ${grains}) AS g (grain, ms)
    CROSS JOIN LATERAL (VALUES ${dims.map(([dim, value]) => `(${dim}, ${value})`).join(', ')}) AS d (dim, value)
    WHERE d.value IS NOT NULL${org === undefined ? '' : ` AND e.org_id = ${org}`}
    GROUP BY 1, 2, 3, 4, 5`;
}

// The lock waits for appends in flight and holds new ones back until the counts are in (every append locks its
// orgs' rows first): none is left out of them. Nodes of schema 1 do not count rollups: stop them before upgrading.
const V2 = `
  LOCK TABLE orgs IN EXCLUSIVE MODE;
  CREATE TABLE rollups (
    org_id text NOT NULL,
    dim    smallint NOT NULL,
    grain  smallint NOT NULL,
    bucket bigint NOT NULL,
    value  text NOT NULL,
    n      bigint NOT NULL,
    PRIMARY KEY (org_id, dim, grain, bucket, value)
  );
  INSERT INTO rollups (org_id, dim, grain, bucket, value, n) ${rollupCountsSql('columns')};
`;

// The public halves of the checkpoint signing keys, published by the nodes that sign (their private halves are files).
const V3 = `
  CREATE TABLE checkpoint_keys (
    verifier_key text PRIMARY KEY,
    created_ms   bigint NOT NULL
  );
`;

/** Schema versions in order: MIGRATIONS[v] takes a database from version v to v + 1. */
export const MIGRATIONS: { description: string; sql: string }[] = [
  { description: 'orgs, keys, actions, events partitioned by month, the ledger and its indexes', sql: V1 },
  { description: 'rollups: counts per hour and day for facets and histograms', sql: V2 },
  { description: 'public checkpoint keys', sql: V3 },
];

/** Runs `ddl` in one transaction that holds DDL_LOCK: one process at a time, all of it or none. */
async function underDdlLock(client: PoolClient, ddl: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK]);
    await ddl();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/**
 * Runs the migrations a database lacks; first creates `schema` (a plain identifier, checked by the caller), where
 * the connection's search_path points, if it is given.
 */
export async function migrate(client: PoolClient, schema?: string): Promise<void> {
  await underDdlLock(client, async () => {
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query('CREATE TABLE IF NOT EXISTS annals_schema (version integer NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM annals_schema');
    if (rows.length === 0) await client.query('INSERT INTO annals_schema (version) VALUES (0)');
    const version = rows[0]?.version ?? 0;
    if (version > MIGRATIONS.length) {
      throw new Error(`the database is at schema ${version}, newer than this Annals knows (${MIGRATIONS.length}): upgrade Annals`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) await client.query(MIGRATIONS[v].sql);
    await client.query('UPDATE annals_schema SET version = $1', [MIGRATIONS.length]);
  });
}

/** The UTC month (as months since 1970-01) of an epoch ms. */
export function monthOf(ms: number): number {
  const d = new Date(ms);
  return (d.getUTCFullYear() - 1970) * 12 + d.getUTCMonth();
}

const monthStart = (month: number) => Date.UTC(1970 + Math.floor(month / 12), month % 12, 1);

/** The partition of a month: `events_pYYYYMM` (the name holds only digits the store computed). */
export function partitionName(month: number): string {
  const year = 1970 + Math.floor(month / 12);
  return `events_p${String(year).padStart(4, '0')}${String((month % 12) + 1).padStart(2, '0')}`;
}

/** Creates the monthly partitions of `months` that do not exist yet (in their own transaction, one process at a time). */
export async function createPartitions(client: PoolClient, months: Iterable<number>): Promise<void> {
  await underDdlLock(client, async () => {
    for (const month of months) {
      await client.query(`CREATE TABLE IF NOT EXISTS ${partitionName(month)} PARTITION OF events
        FOR VALUES FROM (${monthStart(month)}) TO (${monthStart(month + 1)})`);
    }
  });
}

/** The monthly partitions known to exist, and the creation of those an append needs (once per process and month). */
export class Partitions {
  readonly #months = new Set<number>();
  readonly #pool: Pool;
  #loaded: Promise<void> | undefined;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /** Makes sure the partitions of these months exist. */
  async ensure(months: Iterable<number>): Promise<void> {
    this.#loaded ??= this.#load();
    await this.#loaded;
    const missing = [...new Set(months)].filter((m) => !this.#months.has(m)).sort((a, b) => a - b);
    if (missing.length === 0) return;
    const client = await this.#pool.connect();
    try {
      await createPartitions(client, missing);
    } finally {
      client.release();
    }
    for (const m of missing) this.#months.add(m);
  }

  /** The months whose partitions exist already. */
  async #load(): Promise<void> {
    const { rows } = await this.#pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass`);
    for (const { name } of rows) {
      const m = /^events_p(\d{4})(\d{2})$/.exec(name);
      if (m) this.#months.add((Number(m[1]) - 1970) * 12 + Number(m[2]) - 1);
    }
  }
}
