// The embedded store's schema, as numbered migrations applied in order (PRAGMA user_version holds the last one).
//
// Layout (schema 11):
// - events.rowid is the event's *time key*: time_ms * 2^20 + n, where n counts the events stored before it at that
//   millisecond (in any org). Within an org, time-key order is (time, seq) order, because a later seq is always
//   stored later. So the table is clustered by event time, every index that ends in the (implicit) rowid is ordered
//   by time, a keyset cursor is one integer, and the per-org full-text index (rowid = the time key negated, schema
//   6) answers "newest matches first" and deep pages without reading every match. Time keys exceed 2^53: JavaScript holds them only as
//   BigInt (safeIntegers), and never needs to look inside one.
// - org ids are mapped to small integers (orgs.no) so that every index key stays short.
// - body holds the event's ledger leaf (canonical JSON) and leaf_hash its RFC 9162 leaf hash; the other columns are
//   copies for searching only (`annals verify --deep` checks them against the leaf).
// - ip is 16 bytes (domain/ip.ts), so a CIDR block is one index range. country and city compare case-insensitively.
// - day is the event's UTC day: the indexes on many-valued columns lead with it (see EVENTS_V2). The actor's, the
//   country's, the address's and the failures' indexes also hold what facets and histograms count (schemas 7-9), and
//   so does the org's index of time keys, events_by_org (schema 11).
// - orgs.frontier is the org's Merkle compact range; merkle_nodes holds every complete interior node (level >= 1).
// - event_entities indexes the entities an event names (context, container, the token that acted) by id, each row
//   with its event's copies of what facets and histograms count (schema 10).
// - rollups counts events per hour and per day, in total and by action, actor, country and outcome: facets and
//   histograms over a time window read these instead of every event (sqlite-rollups.ts).
// - fulltext_<org no> is the org's contentless full-text index (created with the org), keeping no per-row sizes; its
//   rows also name the event's actor, action and country (sqlite-fts.ts, schema 3), and the action's product and
//   category (schema 5); its rowids are the time keys negated (schema 6, which renamed it from fts_<org no>).
// - checkpoint_keys holds the public checkpoint keys nodes have published (the private halves are files in keys/).
import type Database from 'better-sqlite3';
import { builtInAction } from '../../catalogue/catalogue.js';
import type { StoredEvent } from '../../domain/event.js';
import { addressBytes } from '../../domain/ip.js';
import { searchText } from '../../domain/search-text.js';
import { indexedCopies } from '../pending-event.js';
import { ROLE_CODE } from '../rows.js';
import { createFtsTable, ftsDocument, ftsRowid, ftsTable } from './sqlite-fts.js';
import { DAY_OF_TIME, KEY_TIME_SQL, KEY_UNIT } from './sqlite-keys.js';
import { rebuildRollups } from './sqlite-rollups.js';

export { OUTCOME_CODE, ROLE_CODE } from '../rows.js';

export interface Migration {
  description: string;
  up(db: Database.Database): void;
}

const V1 = `
  CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
  );
  CREATE TABLE orgs (
    no                INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    created_ms        INTEGER NOT NULL,
    next_seq          INTEGER NOT NULL DEFAULT 0,
    last_processed_ms INTEGER NOT NULL DEFAULT 0,
    frontier          BLOB NOT NULL DEFAULT x''
  );
  CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    org_no     INTEGER REFERENCES orgs(no),
    name       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    hash       BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
  );
  CREATE TABLE actions (
    org_no       INTEGER NOT NULL REFERENCES orgs(no),
    key          TEXT NOT NULL,
    display_name TEXT NOT NULL,
    category     TEXT NOT NULL,
    product      TEXT NOT NULL,
    operation    TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    PRIMARY KEY (org_no, key)
  ) WITHOUT ROWID;
  CREATE TABLE events (
    rowid        INTEGER PRIMARY KEY,
    org_no       INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    id           TEXT NOT NULL,
    time_ms      INTEGER NOT NULL,
    processed_ms INTEGER NOT NULL,
    action       TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    ip           TEXT,
    body         TEXT NOT NULL,
    leaf_hash    BLOB NOT NULL
  );
  CREATE UNIQUE INDEX events_by_seq ON events (org_no, seq);
  CREATE UNIQUE INDEX events_by_id ON events (id);
  CREATE INDEX events_by_time ON events (org_no, time_ms, seq);
  CREATE INDEX events_by_processed ON events (org_no, processed_ms, seq);
  CREATE INDEX events_by_action ON events (org_no, action, time_ms, seq);
  CREATE INDEX events_by_actor ON events (org_no, actor_id, time_ms, seq);
  CREATE INDEX events_by_ip ON events (org_no, ip, time_ms, seq);
  CREATE TABLE actor_aliases (
    org_no   INTEGER NOT NULL,
    alias    TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    PRIMARY KEY (org_no, alias, actor_id)
  ) WITHOUT ROWID;
  CREATE TABLE idempotency (
    org_no      INTEGER NOT NULL,
    key         TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    fingerprint BLOB,
    PRIMARY KEY (org_no, key)
  ) WITHOUT ROWID;
  CREATE TABLE merkle_nodes (
    org_no INTEGER NOT NULL,
    level  INTEGER NOT NULL,
    idx    INTEGER NOT NULL,
    hash   BLOB NOT NULL,
    PRIMARY KEY (org_no, level, idx)
  ) WITHOUT ROWID;
  CREATE TABLE checkpoints (
    org_no  INTEGER NOT NULL,
    size    INTEGER NOT NULL,
    root    BLOB NOT NULL,
    time_ms INTEGER NOT NULL,
    note    TEXT NOT NULL,
    PRIMARY KEY (org_no, size)
  ) WITHOUT ROWID;
  CREATE VIRTUAL TABLE events_fts USING fts5 (text, content = '', columnsize = 0);
`;


/**
 * Schema 2's events table and its indexes. Each index ends in the implicit rowid (the time key), so every index
 * range is in time order. The indexes on values with many distinct keys (actor, address, action, country, and the
 * entities) lead with the event's UTC day: a commit's rows land in the pages of the days it covers, instead of in
 * one random page per row, which keeps appends cheap as the store outgrows memory. A query reads them one day at a
 * time, newest (or oldest) day first, and stops when its page is full.
 */
const EVENTS_V2 = `
  CREATE TABLE events_v2 (
    rowid        INTEGER PRIMARY KEY,
    org_no       INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    id           TEXT NOT NULL,
    time_ms      INTEGER NOT NULL,
    processed_ms INTEGER NOT NULL,
    action       TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    ip           BLOB,
    country      TEXT COLLATE NOCASE,
    city         TEXT COLLATE NOCASE,
    outcome      INTEGER NOT NULL,
    day          INTEGER NOT NULL,
    body         TEXT NOT NULL,
    leaf_hash    BLOB NOT NULL
  );
`;

const INDEXES_V2 = `
  CREATE UNIQUE INDEX events_by_seq ON events (org_no, seq);
  CREATE UNIQUE INDEX events_by_id ON events (id);
  CREATE INDEX events_by_org ON events (org_no);
  CREATE INDEX events_by_action ON events (org_no, day, action);
  CREATE INDEX events_by_actor ON events (org_no, day, actor_id);
  CREATE INDEX events_by_ip ON events (org_no, day, ip);
  CREATE INDEX events_by_country ON events (org_no, day, country);
  CREATE INDEX events_failed ON events (org_no) WHERE outcome = 1;
  CREATE TABLE event_entities (
    org_no INTEGER NOT NULL,
    day    INTEGER NOT NULL,
    id     TEXT NOT NULL,
    k      INTEGER NOT NULL,
    role   INTEGER NOT NULL,
    type   TEXT NOT NULL,
    PRIMARY KEY (org_no, day, id, k, role, type)
  ) WITHOUT ROWID;
  CREATE TABLE rollups (
    org_no INTEGER NOT NULL,
    dim    INTEGER NOT NULL,
    grain  INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    value  TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (org_no, dim, grain, bucket, value)
  ) WITHOUT ROWID;
`;

/**
 * The entity rows the stored leaves call for (org_no, id, k, role, type), as the writer derives them from each event
 * (store/pending-event.ts): upgrades build event_entities from it, `verify --deep` checks event_entities against it.
 */
export const DERIVED_ENTITIES = `
  SELECT e.org_no AS org_no, e.day AS day, json_extract(j.value, '$.id') AS id, e.rowid AS k, ${ROLE_CODE.context} AS role, json_extract(j.value, '$.type') AS type
    FROM events e, json_each(e.body, '$.context') j
  UNION SELECT e.org_no, e.day, json_extract(j.value, '$.id'), e.rowid, ${ROLE_CODE.container}, json_extract(j.value, '$.type')
    FROM events e, json_each(e.body, '$.container') j
  UNION SELECT org_no, day, json_extract(body, '$.actor.auth.tokenId'), rowid, ${ROLE_CODE.token}, 'token'
    FROM events WHERE coalesce(json_extract(body, '$.actor.auth.tokenId'), '') <> ''`;

/** Schema 1 → 2: rebuilds the events table on time keys and derives every new index from the stored leaves. */
function upgradeToTimeKeys(db: Database.Database): void {
  db.function('annals_ip_bytes', { deterministic: true }, (ip: unknown) => {
    if (typeof ip !== 'string') return null;
    const bytes = addressBytes(ip);
    return bytes ? Buffer.from(bytes) : null;
  });
  db.exec(EVENTS_V2);
  // n counts events of the same millisecond in (org, seq) order, so that within an org time-key order is
  // (time, seq) order, as for newly appended events.
  db.exec(`
    INSERT INTO events_v2 (rowid, org_no, seq, id, time_ms, processed_ms, action, actor_id, ip, country, city, outcome, day, body, leaf_hash)
    SELECT ${KEY_TIME_SQL} * ${KEY_UNIT} + row_number() OVER (PARTITION BY ${KEY_TIME_SQL} ORDER BY org_no, seq) - 1,
           org_no, seq, id, time_ms, processed_ms, action, actor_id, annals_ip_bytes(ip),
           json_extract(body, '$.location.countryName'), json_extract(body, '$.location.city'),
           CASE json_extract(body, '$.outcome') WHEN 'failure' THEN 1 ELSE 0 END, ${DAY_OF_TIME}, body, leaf_hash
    FROM events;
    DROP TABLE events;
    DROP TABLE events_fts;
    ALTER TABLE events_v2 RENAME TO events;
  `);
  db.exec(INDEXES_V2);
  db.exec(`INSERT OR IGNORE INTO event_entities (org_no, day, id, k, role, type) ${DERIVED_ENTITIES}`);
  rebuildRollups(db);
  for (const { no } of db.prepare<[], { no: number }>('SELECT no FROM orgs').all()) createFtsTable(db, no);
  // Filled by schema 6.
}

/**
 * Schema 5 → 6 (and, through it, 2 → 3 and 4 → 5): every org's full-text index made again from its stored events,
 * with the field tokens, keyed by the time key negated (ftsRowid), under its new name (ftsTable). Events are read newest first, so that the rows go
 * in in ascending rowid order (FTS5 starts a new segment whenever one does not).
 */
function rebuildFullText(db: Database.Database): void {
  const custom = db.prepare<[number, string], { displayName: string; product: string; category: string }>(
    'SELECT display_name AS displayName, product, category FROM actions WHERE org_no = ? AND key = ?');
  for (const { no } of db.prepare<[], { no: number }>('SELECT no FROM orgs').all()) {
    // What schemas 2-5 named it (see ftsTable).
    db.exec(`DROP TABLE IF EXISTS fts_${no}`);
    db.exec(`DROP TABLE IF EXISTS ${ftsTable(no)}`);
    createFtsTable(db, no);
    const insert = db.prepare(`INSERT INTO ${ftsTable(no)} (rowid, text) VALUES (?, ?)`);
    // In pages: a connection may not write while it iterates.
    const page = db.prepare<[number, bigint], { k: bigint; body: string }>(
      'SELECT rowid AS k, body FROM events INDEXED BY events_by_org WHERE org_no = ? AND rowid <= ? ORDER BY rowid DESC LIMIT 5000').safeIntegers(true);
    for (let upTo = 2n ** 63n - 1n; ;) {
      const rows = page.all(no, upTo);
      if (rows.length === 0) break;
      for (const row of rows) {
        const event = JSON.parse(row.body) as StoredEvent;
        // (An action neither built in nor registered was not ingested: its key stands for its name, and it has no
        // product or category, as when it was appended.)
        const action = builtInAction(event.action) ?? custom.get(no, event.action);
        insert.run(ftsRowid(row.k), ftsDocument(searchText(event, action ?? { displayName: event.action }), {
          actor: event.actor.id, action: { key: event.action, product: action?.product, category: action?.category }, country: indexedCopies(event).country,
        }));
      }
      upTo = rows[rows.length - 1].k - 1n;
    }
  }
}

const CHECKPOINT_KEYS = `
  CREATE TABLE checkpoint_keys (
    verifier_key TEXT PRIMARY KEY,
    created_ms   INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

/**
 * Schema 6 → 7: the actor's index also holds the columns an event's facets and histogram bucket are counted from
 * (COLUMNS.aggregate), after its rowid, so that pages still read it in time order. "What did this person do this
 * month" is counted from the index alone: the busiest actor's 30 days at 10M (7,813 events) touched a table page
 * an event, 455 ms the first time in a new process (each page's first touch, with the file in the page cache) and
 * 15-18 ms after; from the index, 17 ms and 5-8 ms. It doubles the index (0.59 to 1.27 GB at 10M).
 */
const ACTOR_INDEX_COVERING = `
  DROP INDEX events_by_actor;
  CREATE INDEX events_by_actor ON events (org_no, day, actor_id, rowid, time_ms, action, country, outcome);
`;

/**
 * Schema 7 → 8: the country's index and the failures' hold the same columns as the actor's (ACTOR_INDEX_COVERING).
 * At 10M, facets of the rarest country's 30 days (26,083 events) took 1,187 ms the first time in a new process and
 * 185-242 ms after; of `outcome:failure` (15,181), 1,008 and 48-73 ms.
 */
const COUNTRY_AND_FAILURE_INDEXES_COVERING = `
  DROP INDEX events_by_country;
  CREATE INDEX events_by_country ON events (org_no, day, country, rowid, time_ms, action, actor_id, outcome);
  DROP INDEX events_failed;
  CREATE INDEX events_failed ON events (org_no, rowid, time_ms, action, actor_id, country, outcome) WHERE outcome = 1;
`;

/**
 * Schema 8 → 9: the address's index holds the same columns as the actor's (ACTOR_INDEX_COVERING), for "what else
 * happened from that address". At 10M, facets of one address's 30 days (4,273 events) over HTTP took 17.95 ms p50 and
 * 335.76 ms the first time after the server started; from the index, 9.16 / 11.85 ms.
 */
const IP_INDEX_COVERING = `
  DROP INDEX events_by_ip;
  CREATE INDEX events_by_ip ON events (org_no, day, ip, rowid, time_ms, action, actor_id, country, outcome);
`;

/**
 * Schema 9 → 10: each entity row also holds its event's copies of what facets and histograms count (as the covering
 * indexes do, under the events' own column names), so that an entity's events are counted from its rows alone. At
 * 10M, facets of the busiest project's 30 days (58,636 events) read a table row an event, twice: 856 ms in-process,
 * warm; from the entity rows, 130-210 ms. One INSERT ... SELECT in the table's order (a day's rows are read
 * together, so that day's events stay cached): about 3 minutes at 10M. An entity row whose event is not stored
 * (which only tampering makes, and `verify --deep` names) is not carried over: counted from the entity rows alone,
 * it would be counted as an event.
 */
const ENTITY_ROWS_COVERING = `
  CREATE TABLE event_entities_v10 (
    org_no  INTEGER NOT NULL,
    day     INTEGER NOT NULL,
    id      TEXT NOT NULL,
    k       INTEGER NOT NULL,
    role    INTEGER NOT NULL,
    type    TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    action  TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    country TEXT COLLATE NOCASE,
    outcome INTEGER NOT NULL,
    PRIMARY KEY (org_no, day, id, k, role, type)
  ) WITHOUT ROWID;
  INSERT INTO event_entities_v10
    SELECT x.org_no, x.day, x.id, x.k, x.role, x.type, e.time_ms, e.action, e.actor_id, e.country, e.outcome
    FROM event_entities x CROSS JOIN events e ON e.rowid = x.k ORDER BY x.org_no, x.day, x.id, x.k, x.role, x.type;
  DROP TABLE event_entities;
  ALTER TABLE event_entities_v10 RENAME TO event_entities;
`;

/**
 * Schema 10 → 11: the org's index of time keys holds the columns facets and histograms count (COLUMNS.aggregate),
 * after the rowid, as the actor's does (ACTOR_INDEX_COVERING): counting what the time index or the full-text index
 * finds (a window's ragged ends, a product's events, a word's matches) reads the index, not a table row an event.
 * At 10M, `saml`'s 5,127 matches in 30 days touch ~3,500 index pages against 5,127 table pages: their first count in
 * a new process (each page read into SQLite's cache), 27-142 ms through the index against 70-223 ms through the
 * table's rows (six runs each, alternated); 6-11 ms either way after. The index grows from 0.16 to 1.24 GB; ingest
 * showed no cost (1M events in-process, four runs each way alternated: its rows are appended in key order). Built
 * in 44 s at 10M.
 */
const ORG_INDEX_COVERING = `
  DROP INDEX events_by_org;
  CREATE INDEX events_by_org ON events (org_no, rowid, time_ms, action, actor_id, country, outcome);
`;

export const MIGRATIONS: readonly Migration[] = [
  { description: 'the first schema', up: (db) => db.exec(V1) },
  { description: 'time keys, per-org full-text indexes, entities and rollups', up: upgradeToTimeKeys },
  // (Made by schema 6, which always follows: building them here too would read every event twice.)
  { description: 'full-text rows that name their actor, action and country', up: () => {} },
  { description: 'public checkpoint keys', up: (db) => db.exec(CHECKPOINT_KEYS) },
  // (Made by schema 6 too.)
  { description: 'full-text rows that also name the product and category of their action', up: () => {} },
  { description: 'full-text rows keyed newest first (the time key negated), for deep pages as fast as the first', up: rebuildFullText },
  { description: "the actor's index covers what facets and histograms count", up: (db) => db.exec(ACTOR_INDEX_COVERING) },
  { description: "the country's and the failures' indexes cover what facets and histograms count", up: (db) => db.exec(COUNTRY_AND_FAILURE_INDEXES_COVERING) },
  { description: "the address's index covers what facets and histograms count", up: (db) => db.exec(IP_INDEX_COVERING) },
  { description: 'entity rows hold what facets and histograms count', up: (db) => db.exec(ENTITY_ROWS_COVERING) },
  { description: "the org's time index covers what facets and histograms count", up: (db) => db.exec(ORG_INDEX_COVERING) },
];
