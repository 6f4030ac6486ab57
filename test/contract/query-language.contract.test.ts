// The query language end to end, over every store: a few hundred generated queries, written as `q` strings and run
// through the query service (parser, planner, the store's compiler), must return exactly what a brute-force
// evaluation of the same query over the same events returns, page by page. The brute force works from the
// generated terms themselves, not from the planner's output.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { builtInAction } from '../../src/catalogue/catalogue.js';
import { ActionRegistry } from '../../src/catalogue/registry.js';
import { slug } from '../../src/domain/action.js';
import type { StoredEvent } from '../../src/domain/event.js';
import { inRange, ipBytes, ipRange, type IpRange } from '../../src/domain/ip.js';
import { demoEvents } from '../../src/demo/demo-events.js';
import { GroupCommitter } from '../../src/ingest/group-commit.js';
import { IngestService } from '../../src/ingest/ingest-service.js';
import { CursorCodec } from '../../src/query/cursor.js';
import { QueryService } from '../../src/query/query-service.js';
import type { Store } from '../../src/store/store.js';
import { actorAliases, sortEvents, words } from '../support/filter-model.js';
import { type OpenedStore, STORES } from './stores.js';

type Field = 'action' | 'category' | 'product' | 'operation' | 'actor' | 'ip' | 'country' | 'city' | 'location' | 'context' | 'container' | 'entity' | 'outcome' | 'time' | 'text';

/** One generated term: how it is written, and what it means for one event. */
interface Term {
  field: Field;
  negated: boolean;
  written: string;
  has(e: StoredEvent, text: string): boolean;
}

const quote = (s: string) => (/[\s"\\]/.test(s) || s === '' ? `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"` : s);
const fold = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function hasPhrase(text: string, phrase: string): boolean {
  const doc = words(text);
  const want = words(phrase);
  for (let i = 0; i + want.length <= doc.length; i++) if (want.every((w, j) => doc[i + j] === w)) return true;
  return false;
}

/** Does an entity value (id, or type:id) name this id/type? Both readings of a colon count. */
function names(value: string, id: string, type: string): boolean {
  if (value === id) return true;
  const colon = value.indexOf(':');
  return colon > 0 && value.slice(0, colon) === type && value.slice(colon + 1) === id;
}

/** Deterministic choices. */
class Dice {
  #s: number;
  constructor(seed: number) { this.#s = seed; }
  next(): number {
    this.#s = (this.#s * 1103515245 + 12345) % 2147483648;
    return this.#s / 2147483648;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
}

function generate(dice: Dice, events: StoredEvent[], texts: Map<string, string>, aliases: Map<string, Set<string>>): Term {
  const e = dice.pick(events);
  const action = builtInAction(e.action)!;
  const negated = dice.int(4) === 0;
  const term = (field: Field, written: string, has: Term['has'], canNegate = true): Term => {
    const neg = negated && canNegate;
    return { field, negated: neg, written: `${neg ? '-' : ''}${written}`, has };
  };
  switch (dice.pick<Field>(['action', 'category', 'product', 'operation', 'actor', 'ip', 'country', 'city', 'location', 'context', 'container', 'entity', 'outcome', 'time', 'text', 'text'])) {
    case 'action': {
      const form = dice.int(3);
      if (form === 0) return term('action', `action:${e.action}`, (x) => x.action === e.action);
      const prefix = e.action.slice(0, e.action.indexOf('.') + 1);
      if (form === 1) return term('action', `action:${prefix}*`, (x) => x.action.startsWith(prefix));
      const verb = e.action.slice(prefix.length).split('_')[0];
      const re = new RegExp(`^.*\\.${verb}_.*$`);
      return term('action', `action:*.${verb}_*`, (x) => re.test(x.action));
    }
    case 'category': {
      const c = action.category;
      return term('category', `category:${dice.int(2) ? quote(c) : slug(c)}`, (x) => builtInAction(x.action)!.category === c);
    }
    case 'product':
      return term('product', `product:${action.product}`, (x) => builtInAction(x.action)!.product === action.product);
    case 'operation':
      return term('operation', `operation:${action.operation}`, (x) => builtInAction(x.action)!.operation === action.operation);
    case 'actor': {
      const choices = [e.actor.id, e.actor.email, e.actor.name].filter((v): v is string => typeof v === 'string' && v !== '');
      const v = dice.pick(choices);
      const written = dice.int(2) ? v : v.toUpperCase() === v ? v : v.toUpperCase();
      const match = (x: StoredEvent) => x.actor.id === written || (aliases.get(written.toLowerCase())?.has(x.actor.id) ?? false);
      return term('actor', `actor:${quote(written)}`, match);
    }
    case 'ip': {
      const ip = e.location?.ip;
      if (ip === undefined) return term('ip', 'ip:192.0.2.255', () => false);
      const cidr = dice.int(2) === 0;
      const written = cidr ? (ip.includes(':') ? `${ip}/32` : `${ip}/16`) : ip;
      const range = ipRange(written) as IpRange;
      return term('ip', `ip:${written}`, (x) => x.location?.ip !== undefined && inRange(ipBytes(x.location.ip)!, range));
    }
    case 'country': {
      const c = e.location?.countryName ?? 'Atlantis';
      return term('country', `country:${quote(dice.int(2) ? c : c.toLowerCase())}`, (x) => typeof x.location?.countryName === 'string' && fold(x.location.countryName) === fold(c));
    }
    case 'city': {
      const c = e.location?.city ?? 'Atlantis';
      return term('city', `city:${quote(c)}`, (x) => typeof x.location?.city === 'string' && fold(x.location.city) === fold(c));
    }
    case 'location': {
      const l = (dice.int(2) ? e.location?.countryName : e.location?.city) ?? 'Atlantis';
      return term('location', `location:${quote(dice.int(2) ? l : l.toUpperCase())}`,
        (x) => [x.location?.countryName, x.location?.city].some((v) => typeof v === 'string' && fold(v) === fold(l)));
    }
    case 'context': {
      const c = e.context.length ? dice.pick(e.context) : { id: 'none-such', type: 'users' };
      const v = dice.int(2) ? c.id : `${c.type}:${c.id}`;
      return term('context', `context:${quote(v)}`, (x) => x.context.some((y) => names(v, y.id, y.type)));
    }
    case 'container': {
      const c = e.container.length ? dice.pick(e.container) : { id: 'none-such', type: 'sites' };
      return term('container', `container:${quote(c.id)}`, (x) => x.container.some((y) => names(c.id, y.id, y.type)));
    }
    case 'entity': {
      const token = e.actor.auth?.tokenId;
      const v = dice.pick([e.actor.id, ...(token ? [token, `token:${token}`] : []), ...e.context.map((c) => c.id)]);
      const has = (x: StoredEvent) => {
        const t = x.actor.auth?.tokenId;
        return (x.actor.id === v) || (typeof t === 'string' && t !== '' && names(v, t, 'token'))
          || x.context.some((y) => names(v, y.id, y.type)) || x.container.some((y) => names(v, y.id, y.type));
      };
      return term('entity', `entity:${quote(v)}`, has);
    }
    case 'outcome': {
      const o = dice.int(3) === 0 ? 'success' : 'failure';
      return term('outcome', `outcome:${o}`, (x) => x.outcome === o);
    }
    case 'time': {
      const a = Date.parse(dice.pick(events).time);
      const b = Date.parse(dice.pick(events).time);
      const [lo, hi] = a < b ? [a, b] : [b, a];
      const iso = (t: number) => new Date(t).toISOString();
      const form = dice.int(3);
      if (form === 0) return term('time', `time:>=${iso(lo)}`, (x) => Date.parse(x.time) >= lo, false);
      if (form === 1) return term('time', `time:<${iso(hi)}`, (x) => Date.parse(x.time) < hi, false);
      return term('time', `time:${iso(lo)}..${iso(hi)}`, (x) => Date.parse(x.time) >= lo && Date.parse(x.time) <= hi, false);
    }
    case 'text': {
      const doc = (texts.get(e.id) ?? '').split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w) && !w.includes('"') && !/^[A-Za-z]+:/.test(w));
      if (doc.length === 0) return term('text', 'jira', (x, t) => hasPhrase(t, 'jira'));
      const at = dice.int(doc.length);
      const phrase = dice.int(3) === 0 && at + 1 < doc.length ? `"${doc[at]} ${doc[at + 1]}"` : doc[at];
      const bare = phrase.replace(/^"|"$/g, '');
      return term('text', phrase.startsWith('"') ? phrase : phrase.startsWith('-') ? `"${phrase}"` : phrase, (x, t) => hasPhrase(t, bare));
    }
  }
}

/** Repeats of a field OR; fields AND; exclusions must not hold; text terms each must (or must not) match. */
function evaluate(terms: Term[], e: StoredEvent, text: string): boolean {
  const fields = new Set(terms.map((t) => t.field));
  for (const field of fields) {
    const mine = terms.filter((t) => t.field === field);
    if (mine.some((t) => t.negated && t.has(e, text))) return false;
    const positive = mine.filter((t) => !t.negated);
    if (positive.length === 0) continue;
    if (field === 'text' || field === 'time') {
      if (!positive.every((t) => t.has(e, text))) return false;
    } else if (!positive.some((t) => t.has(e, text))) {
      return false;
    }
  }
  return true;
}

for (const s of STORES) {
  describe(`query language against a brute-force evaluation: ${s.name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    let query: QueryService;
    const org = `ql-${Math.random().toString(36).slice(2, 8)}`;
    let events: StoredEvent[];
    const texts = new Map<string, string>();

    before(async () => {
      opened = await s.open();
      store = opened.store;
      const actions = new ActionRegistry(store);
      const ingest = new IngestService(actions, new GroupCommitter(store));
      query = new QueryService(store, actions, new CursorCodec(Buffer.alloc(32, 7)));
      await store.createOrg({ id: org, name: org });
      for (const batch of demoEvents({ events: 3000, seed: 11, days: 20, users: 40, end: Date.UTC(2026, 10, 20) }, 500)) {
        const pending = await ingest.prepare(org, batch);
        for (const p of pending) texts.set(p.id, p.text);
        const [result] = await store.append([{ org, events: pending }]);
        assert.ok(result.ok);
      }
      events = [];
      for (let after: string | undefined; ;) {
        const page = await query.search(org, { limit: 1000, sortOrder: 'asc', cursor: after });
        events.push(...page.events);
        if (!page.next) break;
        after = page.next;
      }
      assert.equal(events.length, 3000);
    });

    after(async () => opened.cleanup());

    test('300 generated queries: the same events, in the same order, page by page', async () => {
      const dice = new Dice(20261201);
      const aliases = actorAliases(events);
      let nonEmpty = 0;
      for (let i = 0; i < 300; i++) {
        const terms = Array.from({ length: 1 + dice.int(4) }, () => generate(dice, events, texts, aliases));
        const q = terms.map((t) => t.written).join(' ');
        const order = dice.int(2) ? 'desc' : 'asc';
        const limit = dice.pick([7, 100, 1000]);
        const expected = sortEvents(events.filter((e) => evaluate(terms, e, texts.get(e.id)!)), 'time', order);
        const got: number[] = [];
        for (let cursor: string | undefined, pages = 0; ; pages++) {
          assert.ok(pages < 1000);
          const page = await query.search(org, { q, limit, sortOrder: order, cursor });
          got.push(...page.events.map((e) => e.seq));
          if (!page.next) break;
          cursor = page.next;
        }
        assert.deepEqual(got, expected.map((e) => e.seq), `query ${i}: ${q} (${order}, limit ${limit})`);
        if (expected.length > 0) nonEmpty++;
        if (i % 10 === 0) {
          // Facets and the histogram count the same events (over an explicit window holding all of them).
          const window = { from: '2026-10-01T00:00:00.000Z', to: '2026-11-21T00:00:00.000Z' };
          const facets = await query.facets(org, { q, ...window }, ['action', 'actor', 'outcome'], 100);
          assert.equal(facets.total, expected.length, `facets of ${q}`);
          const outcomes = facets.facets.outcome!.reduce((n, v) => n + v.count, 0);
          assert.equal(outcomes, expected.length);
          const histogram = await query.histogram(org, { q, ...window }, 'day');
          assert.equal(histogram.buckets.reduce((n, b) => n + b.count, 0), expected.length, `histogram of ${q}`);
        }
      }
      assert.ok(nonEmpty > 150, `most generated queries match something (${nonEmpty})`);
    });

    test('facets and histograms of actors (by id, email, several), countries and failures, with other conditions, count the matching events', async () => {
      const window = { from: '2026-10-01T00:00:00.000Z', to: '2026-11-21T00:00:00.000Z' };
      const count = (xs: (string | undefined)[]) => {
        const n = new Map<string, number>();
        for (const x of xs) if (x !== undefined) n.set(x, (n.get(x) ?? 0) + 1);
        return n;
      };
      const everyone = [...count(events.map((e) => e.actor.id))].sort((a, b) => b[1] - a[1]).map(([id]) => id);
      const [busy, other] = everyone;
      assert.ok(everyone.length > 32);
      const mine = events.filter((e) => e.actor.id === busy);
      const email = mine.find((e) => e.actor.email)!.actor.email!;
      const country = mine.find((e) => e.location?.countryName)!.location!.countryName!;
      const action = [...count(mine.map((e) => e.action))].sort((a, b) => b[1] - a[1])[0][0];
      const cases: [string, (e: StoredEvent) => boolean, string[]?][] = [
        [`actor:${busy}`, (e) => e.actor.id === busy],
        [`actor:${email.toUpperCase()}`, (e) => e.actor.id === busy],
        [`actor:${busy} actor:${other}`, (e) => e.actor.id === busy || e.actor.id === other],
        [`actor:${busy} outcome:failure`, (e) => e.actor.id === busy && e.outcome === 'failure'],
        [`actor:${busy} -country:"${country}"`, (e) => e.actor.id === busy && e.location?.countryName?.toLowerCase() !== country.toLowerCase()],
        [`actor:${email} action:${action} time:>=2026-11-10`, (e) => e.actor.id === busy && e.action === action && e.time >= '2026-11-10'],
        [`actor:${busy} actor:${other} -outcome:success country:"${country.toLowerCase()}"`,
          (e) => (e.actor.id === busy || e.actor.id === other) && e.outcome === 'failure' && e.location?.countryName?.toLowerCase() === country.toLowerCase()],
        // More actors than the store merges range by range (one range of them all: the API's actor=), one excluded.
        [`-actor:${other}`, (e) => e.actor.id !== other, everyone],
        // A country (in two cases: the query names it once), failures, and both with other conditions.
        [`country:"${country}" country:"${country.toUpperCase()}"`, (e) => e.location?.countryName?.toLowerCase() === country.toLowerCase()],
        [`country:"${country}" -action:${action} outcome:success`,
          (e) => e.location?.countryName?.toLowerCase() === country.toLowerCase() && e.action !== action && e.outcome !== 'failure'],
        ['outcome:failure', (e) => e.outcome === 'failure'],
        [`outcome:failure -actor:${busy} time:<2026-11-15`, (e) => e.outcome === 'failure' && e.actor.id !== busy && e.time < '2026-11-15'],
      ];
      for (const [q, matches, actor] of cases) {
        const expected = events.filter(matches);
        assert.ok(expected.length > 0, q);
        const got = await query.facets(org, { q, actor, ...window }, ['action', 'actor', 'country', 'outcome'], 100);
        assert.equal(got.total, expected.length, q);
        // The top 100 of each: every value given with its count, and none left out that has more than the last.
        const top = (field: 'action' | 'actor' | 'country' | 'outcome', of: (e: StoredEvent) => string | undefined) => {
          const want = count(expected.map(of));
          const given = got.facets[field]!;
          assert.equal(given.length, Math.min(100, want.size), `${q}: ${field}`);
          for (const v of given) assert.equal(v.count, want.get(v.value), `${q}: ${field} ${v.value}`);
          const last = given[given.length - 1].count;
          for (const [value, n] of want) if (n > last) assert.ok(given.some((v) => v.value === value), `${q}: ${field} ${value}`);
        };
        top('action', (e) => e.action);
        top('actor', (e) => e.actor.id);
        top('country', (e) => e.location?.countryName);
        top('outcome', (e) => e.outcome ?? 'success');
        const histogram = await query.histogram(org, { q, actor, ...window }, 'day');
        const days = count(expected.map((e) => new Date(Math.floor(Date.parse(e.time) / 86_400_000) * 86_400_000).toISOString()));
        assert.deepEqual(new Map(histogram.buckets.filter((b) => b.count > 0).map((b) => [new Date(b.start).toISOString(), b.count])), days, `${q}: days`);
      }
    });
  });
}
