// The embedded store's schema, as numbered migrations applied in order (PRAGMA user_version holds the last one).
//
// Layout notes:
// - events.rowid is the global insertion order and the rowid of the contentless FTS5 index.
// - org ids are mapped to small integers (orgs.no) so that every index key stays short.
// - body holds the event's ledger leaf (canonical JSON) and leaf_hash its RFC 9162 leaf hash; the other columns are
//   copies for indexing only.
// - orgs.frontier is the org's Merkle compact range (the hashes of the perfect subtrees of [0, next_seq), 32 bytes
//   each, left to right); merkle_nodes holds every complete interior node (level >= 1), so any proof or any past
//   root is a handful of point reads.
// - events_fts is contentless and keeps no per-row sizes (columnsize=0): results are ordered by time, never ranked,
//   so the index holds only what MATCH needs.
// - time-ordered indexes end in seq so the keyset cursor (time_ms, seq) is a pure index range.
export const MIGRATIONS: readonly string[] = [
  `
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
  `,
];
