// Random query strings for the compilers' property tests: ASCII noise (quotes, operators, $ and % included) and
// qualifiers with plausible and hostile values, negated or not. `forEveryPlannedQuery` plans each one as the query
// service would and hands the filter on; a query that does not plan must be a 400, never anything else.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BUILT_IN_ACTIONS } from '../../src/catalogue/catalogue.js';
import { AnnalsError } from '../../src/domain/errors.js';
import { QUERY_FIELDS } from '../../src/domain/query.js';
import { parseQuery } from '../../src/query/parser.js';
import { clausesOf, plan } from '../../src/query/plan.js';
import type { EventFilter } from '../../src/store/store.js';

const ASCII = fc.string({ unit: fc.constantFrom(...' \t"\\:-*.,;()\'`%_/0123456789abcdefxyzAQ<>=@$&|!'.split('')), maxLength: 60 });
const QUALIFIED = fc.tuple(
  fc.constantFrom(...QUERY_FIELDS, 'acton', 'select'),
  fc.oneof(ASCII, fc.constantFrom('jira', 'user_management.*', '10.0.0.0/8', '::1', '>-7d', '2026-11-01..2026-11-05', 'failure', 'users:u-1', '"Ana Silva"')),
  fc.boolean(),
).map(([field, value, negated]) => `${negated ? '-' : ''}${field}:${value}`);
export const QUERIES = fc.array(fc.oneof(ASCII, QUALIFIED), { maxLength: 6 }).map((parts) => parts.join(' '));

const ctx = { now: Date.UTC(2026, 10, 25), actions: async () => BUILT_IN_ACTIONS };

export async function forEveryPlannedQuery(check: (filter: EventFilter, input: string) => void, numRuns = 1500): Promise<void> {
  let planned = 0;
  await fc.assert(fc.asyncProperty(QUERIES, async (input) => {
    let filter: EventFilter;
    try {
      const query = parseQuery(input);
      filter = await plan(clausesOf(query), query, ctx);
    } catch (error) {
      // Bad queries are the caller's mistake, never the server's: a 400 with a position.
      assert.ok(error instanceof AnnalsError, `${JSON.stringify(input)}: ${String(error)}`);
      assert.equal(error.status, 400);
      return;
    }
    planned++;
    check(filter, input);
  }), { numRuns });
  assert.ok(planned > 300, `enough random queries planned to mean something (${planned})`);
}
