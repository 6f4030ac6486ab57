// The PostgreSQL query compiler: for thousands of random query strings, and for hostile values in every field, no
// part of the input ever becomes SQL text: every value is a bound parameter ($n), and the SQL holds only the
// compiler's own words. (What the SQL returns is the contract suite's business, on a real server.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ipRange, type IpRange } from '../../src/domain/ip.js';
import { aggregateSql, pageSql, type Sql } from '../../src/store/postgres/postgres-query-compiler.js';
import { forEveryPlannedQuery } from '../support/random-queries.js';
import type { EventFilter, PageRequest } from '../../src/store/store.js';

/** Every word the compiler may write. */
const VOCABULARY = new Set([
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'EXISTS', 'BETWEEN', 'ORDER', 'BY', 'DESC', 'ASC',
  'LIMIT', 'UNION', 'ALL', 'JOIN', 'ON', 'AS', 'ANY', 'WITH', 'MATERIALIZED', 'GROUP', 'COLLATE', 'coalesce', 'false',
  'lower', 'count', 'min', 'unnest', 'width_bucket', 'phraseto_tsquery', 'text', 'bigint', 'smallint', 'bytea',
  'e', 'l', 'x', 'g', 'k', 'm', 'n', 'events', 'ledger', 'event_entities', 'body', 'time_ms', 'processed_ms', 'seq',
  'action', 'actor_id', 'country', 'city', 'outcome', 'ip', 'org_id', 'id', 'role', 'type', 'tsv', 'at', 'field',
  'value', 'bucket', 'oldest', 'matched',
]);
/** The only quoted literals it may write. */
const LITERALS = new Set(["'simple'", "'total'", "'action'", "'actor'", "'country'", "'outcome'", '"C"']);

function assertOnlyOwnWords(q: Sql, input: string): void {
  const unquoted = q.text.replace(/'[^']*'|"[^"]*"/g, (lit) => {
    assert.ok(LITERALS.has(lit), `quoted literal ${lit} is not the compiler's own (input ${JSON.stringify(input)}): ${q.text}`);
    return ' ';
  });
  assert.ok(!/['"`;]/.test(unquoted), `no stray quote or ; in SQL for ${JSON.stringify(input)}: ${q.text}`);
  for (const word of unquoted.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
    assert.ok(VOCABULARY.has(word), `'${word}' is not the compiler's own word (input ${JSON.stringify(input)}): ${q.text}`);
  }
  for (const number of unquoted.replace(/\$\d+/g, ' ').match(/\b\d+\b/g) ?? []) assert.ok(Number(number) <= 3, `only small literals of our own: ${number}`);
  const placeholders = new Set(unquoted.match(/\$\d+/g) ?? []);
  assert.equal(placeholders.size, q.values.length, 'one parameter per placeholder');
}

const PAGES: PageRequest[] = [
  { limit: 100, order: 'desc', by: 'time' }, { limit: 100, order: 'asc', by: 'time', after: { at: 5, seq: 2 } },
  { limit: 100, order: 'asc', by: 'processed', after: { at: 5, seq: 2 } }, { limit: 100, order: 'desc', by: 'processed' },
];

function everySql(filter: EventFilter): Sql[] {
  const out: Sql[] = [];
  for (const page of PAGES) {
    const q = pageSql('org-1', filter, page);
    if (q) out.push(q);
  }
  for (const facets of [[], ['action'], ['action', 'actor', 'country', 'outcome']] as const) {
    const q = aggregateSql('org-1', filter, { facets, bounds: [0, 10, 20], scanLimit: 1000 });
    if (q) out.push(q);
  }
  return out;
}


describe('postgres query compiler: input never becomes SQL', () => {
  test('for random query strings, every SQL made is the compiler\'s own words and $n placeholders', async () => {
    await forEveryPlannedQuery((filter, input) => {
      for (const q of everySql(filter)) assertOnlyOwnWords(q, input);
    });
  });

  test('hostile values in every field stay parameters', () => {
    // No NUL here: a value with one is dropped (it matches nothing), so it would never reach the SQL at all.
    const evil = "x'); DROP TABLE events; --\" $1 \\";
    const range = ipRange('10.0.0.0/8') as IpRange;
    const filter: EventFilter = {
      time: { from: 1, to: 2 }, processed: { from: 1, to: 2 },
      actions: { any: [evil, 'a'], none: [evil, 'b'] }, actors: { any: [evil, 'a'], none: [evil, 'b'] }, ips: { any: [range], none: [range] },
      countries: { any: [evil, 'a'], none: [evil, 'b'] }, cities: { any: [evil, 'a'], none: [evil, 'b'] }, outcomes: { any: ['failure'], none: ['success'] },
      contexts: { any: [{ id: evil, type: evil }, { id: 'a', type: 'b' }], none: [{ id: 'c' }] }, containers: { any: [{ id: 'a' }] },
      entities: { any: [{ id: 'a' }, { id: 'a', type: 'b' }], none: [{ id: 'c' }] }, text: { all: [evil], none: [evil] },
    };
    const made = everySql(filter);
    assert.ok(made.length > 0);
    for (const q of made) {
      assertOnlyOwnWords(q, evil);
      assert.ok(!q.text.includes('DROP'), 'the hostile text is a value, not SQL');
    }
  });
});
