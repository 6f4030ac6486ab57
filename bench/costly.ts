// What one costly request may cost (README, *What one request may cost*): a page or a count whose conditions no index
// serves reads at most the row budget (100,000 rows) and answers with what it read (a page with `meta.next`, a
// count with `complete: false`). Baseline: the bare SELECT of the same filter in-process, which reads the whole org.
import type Database from 'better-sqlite3';
import { ftsTable } from '../src/store/sqlite/sqlite-fts.js';
import { HttpClient } from './http-client.js';
import { percentile, ratio, type Row } from './report.js';
import { timed, timedSync } from './timing.js';

interface Case {
  what: string;
  path: string;
  /** The bare SQL of the same filter, unbounded. */
  sql: string;
  /** Checks what Annals answered: a page cut by the budget, an incomplete count, any page or any count. */
  check(body: { data: unknown; meta: { next?: string | null; complete?: boolean } }): boolean;
}

const ROUNDS = 10;
const BASE_ROUNDS = 3;

/** `db`: the server's store, read-only; `client`: authorised for org `bench` (org_no 1). */
export async function costlyRequests(db: Database.Database, client: HttpClient): Promise<Row[]> {
  const nowhere = 'Nowhere at all';
  const words = ['jira', 'confluence', 'user', 'admin'];
  const q = (s: string) => encodeURIComponent(s);
  const whole = 'from=0';
  const cutPage = (b: { data: unknown; meta: { next?: string | null } }) => Array.isArray(b.data) && b.data.length < 100 && typeof b.meta.next === 'string';
  const cutCount = (b: { meta: { complete?: boolean } }) => b.meta.complete === false;
  const anyPage = (b: { data: unknown }) => Array.isArray(b.data);
  const cases: Case[] = [
    {
      what: 'page: city: a place no event has',
      path: `/v1/orgs/bench/events?limit=100&${whole}&q=${q(`city:"${nowhere}"`)}`,
      sql: `SELECT body FROM events INDEXED BY events_by_org WHERE org_no = 1 AND city = '${nowhere}' COLLATE NOCASE ORDER BY rowid DESC LIMIT 100`,
      check: cutPage,
    },
    {
      what: 'facets: city: a place no event has',
      path: `/v1/orgs/bench/events/facets?${whole}&q=${q(`city:"${nowhere}"`)}`,
      sql: `SELECT action, count(*) FROM events INDEXED BY events_by_org WHERE org_no = 1 AND city = '${nowhere}' COLLATE NOCASE GROUP BY action`,
      check: cutCount,
    },
    {
      what: `page: ${words.map((w) => `-${w}`).join(' ')}`,
      path: `/v1/orgs/bench/events?limit=100&${whole}&q=${q(words.map((w) => `-${w}`).join(' '))}`,
      sql: `SELECT body FROM events INDEXED BY events_by_org WHERE org_no = 1
              AND -rowid NOT IN (SELECT rowid FROM ${ftsTable(1)} WHERE ${ftsTable(1)} MATCH '${words.map((w) => `"${w}"`).join(' OR ')}')
            ORDER BY rowid DESC LIMIT 100`,
      // Each row is looked up in the full-text index, counting 40 rows a word against the budget.
      check: anyPage,
    },
    {
      what: `facets: ${words.map((w) => `-${w}`).join(' ')}`,
      path: `/v1/orgs/bench/events/facets?${whole}&q=${q(words.map((w) => `-${w}`).join(' '))}`,
      sql: `SELECT action, count(*) FROM events INDEXED BY events_by_org WHERE org_no = 1
              AND -rowid NOT IN (SELECT rowid FROM ${ftsTable(1)} WHERE ${ftsTable(1)} MATCH '${words.map((w) => `"${w}"`).join(' OR ')}')
            GROUP BY action`,
      // A count takes the words' matches within its window as one set; complete or not, it is the figure.
      check: (b) => b.meta.complete !== undefined,
    },
  ];
  const rows: Row[] = [];
  for (const c of cases) {
    const base: number[] = [];
    const stmt = db.prepare(c.sql);
    for (let i = 0; i < BASE_ROUNDS; i++) timedSync(() => stmt.all(), base);
    const http: number[] = [];
    let measured = true;
    for (let i = 0; i < ROUNDS; i++) {
      const body = await timed(() => client.get(c.path), http);
      measured &&= c.check(JSON.parse(body.toString('utf8')) as Parameters<Case['check']>[0]);
    }
    rows.push({
      what: `costly ${c.what}`,
      baseline: `${percentile(base, 50).toFixed(0)} ms`,
      annals: `${percentile(http, 50).toFixed(0)} / ${percentile(http, 99).toFixed(0)} ms`,
      ratio: ratio(percentile(base, 50), percentile(http, 50)),
      note: measured ? 'p50 (/ p99); Annals reads <= 100,000 rows and says where it stopped; baseline: the bare SELECT, whole org'
        : 'NOT CUT by the row budget (a store of fewer than 100,000 events?): not the figure this case is for',
    });
  }
  return rows;
}
