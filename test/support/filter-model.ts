// A brute-force model of the Store's EventFilter: what every adapter must return, computed by looking at each event.
// Tests compare stores (and the query service over them) against it.
import type { StoredEvent } from '../../src/domain/event.js';
import { inRange, ipBytes } from '../../src/domain/ip.js';
import { words } from '../../src/domain/words.js';
import type { EntityRef, EventFilter, Match, PageRequest } from '../../src/store/store.js';

export { words };

/** ASCII case folding, as SQL's NOCASE compares. */
const fold = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function test<T>(match: Match<T> | undefined, has: (value: T) => boolean): boolean {
  if (!match) return true;
  if (match.any !== undefined && !match.any.some(has)) return false;
  if (match.none?.some(has)) return false;
  return true;
}

/** Every actor id by each email and name (lower case) it used, over the events of one org. */
export function actorAliases(events: readonly StoredEvent[]): Map<string, Set<string>> {
  const aliases = new Map<string, Set<string>>();
  for (const e of events) {
    for (const alias of [e.actor.email, e.actor.name]) {
      if (typeof alias !== 'string' || alias === '') continue;
      const key = alias.toLowerCase();
      if (!aliases.has(key)) aliases.set(key, new Set());
      aliases.get(key)!.add(e.actor.id);
    }
  }
  return aliases;
}

function hasPhrase(doc: string[], term: string): boolean {
  const phrase = words(term);
  if (phrase.length === 0) return false;
  for (let i = 0; i + phrase.length <= doc.length; i++) {
    if (phrase.every((w, j) => doc[i + j] === w)) return true;
  }
  return false;
}

const names = (ref: EntityRef, id: string, type: string) => ref.id === id && (ref.type === undefined || ref.type === type);

/** Whether `e` (whose full-text document is `text`) matches `f`, given the org's actor aliases. */
export function matchesFilter(e: StoredEvent, text: string, f: EventFilter, aliases: Map<string, Set<string>>): boolean {
  const t = Date.parse(e.time);
  if (f.time?.from !== undefined && t < f.time.from) return false;
  if (f.time?.to !== undefined && t >= f.time.to) return false;
  const p = Date.parse(e.processedAt);
  if (f.processed?.from !== undefined && p < f.processed.from) return false;
  if (f.processed?.to !== undefined && p >= f.processed.to) return false;
  if (!test(f.actions, (a) => a === e.action)) return false;
  if (!test(f.actors, (a) => a === e.actor.id || (aliases.get(a.toLowerCase())?.has(e.actor.id) ?? false))) return false;
  const ip = e.location?.ip === undefined ? undefined : ipBytes(e.location.ip);
  if (!test(f.ips, (r) => ip !== undefined && inRange(ip, r))) return false;
  const country = e.location?.countryName;
  if (!test(f.countries, (c) => typeof country === 'string' && fold(country) === fold(c))) return false;
  const city = e.location?.city;
  if (!test(f.cities, (c) => typeof city === 'string' && fold(city) === fold(c))) return false;
  if (!test(f.locations, (l) => [country, city].some((v) => typeof v === 'string' && fold(v) === fold(l)))) return false;
  if (!test(f.outcomes, (o) => o === e.outcome)) return false;
  if (!test(f.contexts, (ref) => e.context.some((c) => names(ref, c.id, c.type)))) return false;
  if (!test(f.containers, (ref) => e.container.some((c) => names(ref, c.id, c.type)))) return false;
  const token = e.actor.auth?.tokenId;
  const anywhere = (ref: EntityRef) => (ref.type === undefined && ref.id === e.actor.id)
    || (typeof token === 'string' && token !== '' && names(ref, token, 'token'))
    || e.context.some((c) => names(ref, c.id, c.type)) || e.container.some((c) => names(ref, c.id, c.type));
  if (!test(f.entities, anywhere)) return false;
  if (f.text) {
    const doc = words(text);
    if (f.text.all && !f.text.all.every((term) => hasPhrase(doc, term))) return false;
    if (f.text.none?.some((term) => hasPhrase(doc, term))) return false;
  }
  return true;
}

/** The sort key of an event for `by`. */
export const sortKey = (e: StoredEvent, by: PageRequest['by']) => Date.parse(by === 'time' ? e.time : e.processedAt);

export function sortEvents(events: StoredEvent[], by: PageRequest['by'], order: PageRequest['order']): StoredEvent[] {
  const sign = order === 'asc' ? 1 : -1;
  return [...events].sort((a, b) => sign * (sortKey(a, by) - sortKey(b, by) || a.seq - b.seq));
}

/** What Store.aggregate must count for `events`: by every facet field, most frequent first, and per bucket. */
export function modelAggregates(events: readonly StoredEvent[], bounds?: readonly number[]) {
  const count = (key: (e: StoredEvent) => string | undefined) => {
    const m = new Map<string, number>();
    for (const e of events) {
      const k = key(e);
      if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
    }
    return [...m].map(([value, n]) => ({ value, count: n })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  };
  return {
    total: events.length,
    facets: {
      action: count((e) => e.action),
      actor: count((e) => e.actor.id),
      country: count((e) => (typeof e.location?.countryName === 'string' ? e.location.countryName : undefined)),
      outcome: count((e) => e.outcome),
    },
    buckets: bounds?.slice(0, -1).map((b, i) => events.filter((e) => Date.parse(e.time) >= b && Date.parse(e.time) < bounds[i + 1]).length),
  };
}
