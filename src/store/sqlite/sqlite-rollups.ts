// The embedded store's rollups table (see ../rollups.ts): written with one upsert per row, and recounted from the
// stored events when the schema is upgraded.
import type Database from 'better-sqlite3';
import { DIMS, GRAINS, type RollupCounts } from '../rollups.js';
import { KEY_TIME_SQL } from './sqlite-keys.js';

/** Adds every count to the rollups table (and empties the counts). */
export function writeRollups(counts: RollupCounts, upsert: Database.Statement): void {
  for (const row of counts.rows()) upsert.run(...row);
  counts.clear();
}

export const UPSERT_ROLLUP = `INSERT INTO rollups (org_no, dim, grain, bucket, value, n) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (org_no, dim, grain, bucket, value) DO UPDATE SET n = n + excluded.n`;

/**
 * Every rollup row (org_no, dim, grain, bucket, value, n), counted from the stored leaves. The time is the one the
 * time index files the event under (KEY_TIME_SQL: time_ms, which `verify --deep` checks against each leaf, within
 * what time keys hold), so rollups and indexes agree on which day an event is in.
 */
export const ROLLUP_COUNTS = GRAINS.flatMap((grain) => {
  const bucket = `${KEY_TIME_SQL} - (${KEY_TIME_SQL} % ${grain.ms})`;
  const values: [number, string][] = [
    [DIMS.total, "''"], [DIMS.action, "json_extract(body, '$.action')"], [DIMS.actor, "json_extract(body, '$.actor.id')"],
    [DIMS.country, "json_extract(body, '$.location.countryName')"], [DIMS.outcome, "json_extract(body, '$.outcome')"],
  ];
  return values.map(([dim, value]) => `SELECT org_no, ${dim} AS dim, ${grain.code} AS grain, ${bucket} AS bucket, ${value} AS value, count(*) AS n
    FROM events WHERE ${value} IS NOT NULL GROUP BY org_no, bucket, ${value}`);
}).join(' UNION ALL ');

/** Recounts every rollup from the stored events (schema upgrades). */
export function rebuildRollups(db: Database.Database): void {
  db.exec(`DELETE FROM rollups; INSERT INTO rollups (org_no, dim, grain, bucket, value, n) ${ROLLUP_COUNTS}`);
}

