// The planner: a parsed query (and the request parameters that stand for qualifiers) into the store's EventFilter,
// the one plan every adapter compiles. Values get their meaning here: action patterns, categories, products and
// operations become action keys, addresses become ranges, times become bounds. Every mistake names where it is.
import { type ActionDefinition, OPERATIONS, slug } from '../domain/action.js';
import { AnnalsError } from '../domain/errors.js';
import { OUTCOMES, type Outcome } from '../domain/event.js';
import { ipRange, type IpRange } from '../domain/ip.js';
import type { Query, QueryField, Span } from '../domain/query.js';
import { asciiLower } from '../domain/words.js';
import type { EntityRef, EventFilter, TimeRange } from '../store/store.js';
import { queryError } from './parser.js';
import { parseQueryTime } from './time.js';

/** A condition on one field: from a qualifier of `q` (with its place), or from a request parameter. */
export interface Clause {
  field: QueryField;
  value: string;
  negated: boolean;
  /** Where the value came from: a span of `q`, or a parameter name. */
  origin: { span: Span } | { parameter: string };
}

export interface PlanContext {
  now: number;
  /** Every action the org may use (built-in and its own): for patterns, categories, products, operations. */
  actions(): Promise<readonly ActionDefinition[]>;
}

type ActionField = 'action' | 'category' | 'product' | 'operation';

/** The clauses a parsed query holds (text terms aside). */
export function clausesOf(query: Query): Clause[] {
  return query.terms.flatMap((t) => (t.kind === 'qualifier'
    ? [{ field: t.field, value: t.value, negated: t.negated, origin: { span: t.valueSpan } }]
    : []));
}

function fail(clause: Clause, detail: string, expected: string): never {
  if ('span' in clause.origin) throw queryError(clause.origin.span.start, `${clause.field}: ${detail}`, expected);
  throw new AnnalsError('ANN_ERR_QUERY_INVALID', `${clause.origin.parameter}: ${detail}; expected ${expected}`, { parameter: clause.origin.parameter });
}

/** Places compare case-insensitively in ASCII only (as SQL's NOCASE does): the same folding tells repeats apart. */

/**
 * Whether `text` matches `glob`, where `*` is any run of characters and everything else is literal. Greedy, going
 * back only to the last `*`: at most glob × text steps, whatever the pattern. (A regular expression of `.*` runs
 * backtracks exponentially on a pattern such as `*****!`, and `q` is anyone's input.)
 */
export function globMatch(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (g < glob.length && glob[g] === '*') {
      star = g++;
      resume = t;
    } else if (g < glob.length && glob[g] === text[t]) {
      g++;
      t++;
    } else if (star >= 0) {
      g = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g++;
  return g === glob.length;
}

/**
 * The slug of an action's category or product name, made once per name: a `category:` or `product:` compares every
 * action's, and making ~1,000 slugs with regular expressions took about a sixth of such a search's time in-process.
 * Only the names of actions the catalogue or an organization holds are kept, and never more than NAME_SLUGS_MAX
 * (organizations name their own categories: on a server of many, the map starts again when full).
 */
const NAME_SLUGS = new Map<string, string>();
const NAME_SLUGS_MAX = 10_000;
function nameSlug(name: string): string {
  let s = NAME_SLUGS.get(name);
  if (s === undefined) {
    s = slug(name);
    if (NAME_SLUGS.size >= NAME_SLUGS_MAX) NAME_SLUGS.clear();
    NAME_SLUGS.set(name, s);
  }
  return s;
}

async function actionKeys(field: ActionField, clause: Clause, ctx: PlanContext): Promise<string[]> {
  const all = await ctx.actions();
  const { value } = clause;
  let keys: string[];
  switch (field) {
    case 'action': {
      if (!value.includes('*')) {
        // An exact key from a parameter is taken as it is (it may simply match nothing, as connectors expect).
        if (!('span' in clause.origin) || all.some((a) => a.key === value)) return [value];
        fail(clause, `no action '${value}'`, 'an action key (see /event-actions), or a pattern with * such as jira_user_actions.*');
      }
      keys = all.filter((a) => globMatch(value, a.key)).map((a) => a.key);
      if (keys.length === 0) fail(clause, `no action matches '${value}'`, 'a pattern that matches action keys, such as user_management.*');
      return keys;
    }
    case 'operation':
      if (!(OPERATIONS as readonly string[]).includes(value.toLowerCase())) fail(clause, `'${value}' is not an operation`, `one of ${OPERATIONS.join(', ')}`);
      keys = all.filter((a) => a.operation === value.toLowerCase()).map((a) => a.key);
      return keys;
    default: {
      const wanted = slug(value);
      keys = all.filter((a) => nameSlug(a[field]) === wanted).map((a) => a.key);
      if (keys.length === 0) {
        // As with `action`, a product named by a parameter (the Atlassian API's `product`, whose connectors send
        // products Annals may not know) simply matches nothing.
        if (field === 'product' && !('span' in clause.origin)) return [];
        const known = [...new Set(all.map((a) => slug(a[field])))].slice(0, 40).join(', ');
        fail(clause, `'${value}' matches no ${field}`, `a ${field} by name or slug, e.g. ${known}`);
      }
      return keys;
    }
  }
}

/** `type:id`, or an id that may itself hold colons: both readings are looked for. */
function entityRefs(value: string): EntityRef[] {
  const colon = value.indexOf(':');
  const refs: EntityRef[] = [{ id: value }];
  if (colon > 0 && colon < value.length - 1) refs.push({ type: value.slice(0, colon), id: value.slice(colon + 1) });
  return refs;
}

function intersect(a: TimeRange | undefined, b: TimeRange): TimeRange {
  const out: TimeRange = { ...a };
  if (b.from !== undefined && (out.from === undefined || b.from > out.from)) out.from = b.from;
  if (b.to !== undefined && (out.to === undefined || b.to < out.to)) out.to = b.to;
  return out;
}

class MatchBuilder<T> {
  readonly any: T[] = [];
  readonly none: T[] = [];
  readonly #seen = new Set<string>();

  add(value: T, negated: boolean, key = String(value)): void {
    const k = `${negated}:${key}`;
    if (this.#seen.has(k)) return;
    this.#seen.add(k);
    (negated ? this.none : this.any).push(value);
  }

  build(): { any?: T[]; none?: T[] } | undefined {
    if (this.any.length === 0 && this.none.length === 0) return undefined;
    const out: { any?: T[]; none?: T[] } = {};
    if (this.any.length) out.any = this.any;
    if (this.none.length) out.none = this.none;
    return out;
  }
}

/**
 * The plan for `clauses` (repeats of a field OR, fields AND; `time` clauses intersect) and the free text of `query`.
 * `time` is an extra range on event time (from/to parameters).
 */
export async function plan(clauses: readonly Clause[], query: Query | undefined, ctx: PlanContext, time?: TimeRange): Promise<EventFilter> {
  const filter: EventFilter = {};
  if (time && (time.from !== undefined || time.to !== undefined)) filter.time = { ...time };
  const positive = new Map<ActionField, Set<string>>();
  /** The categories and products asked for (slugs): what every action of the answer is of (see actionsWithin). */
  const groups = { category: new Set<string>(), product: new Set<string>() };
  const negative = new Set<string>();
  const actors = new MatchBuilder<string>();
  const ips = new MatchBuilder<IpRange>();
  const countries = new MatchBuilder<string>();
  const cities = new MatchBuilder<string>();
  const locations = new MatchBuilder<string>();
  const outcomes = new MatchBuilder<Outcome>();
  const entities = { context: new MatchBuilder<EntityRef>(), container: new MatchBuilder<EntityRef>(), entity: new MatchBuilder<EntityRef>() };
  for (const clause of clauses) {
    const { field, value, negated } = clause;
    switch (field) {
      case 'action':
      case 'category':
      case 'product':
      case 'operation': {
        const keys = await actionKeys(field, clause, ctx);
        if (negated) for (const k of keys) negative.add(k);
        else {
          if (field === 'category' || field === 'product') groups[field].add(slug(value));
          const set = positive.get(field) ?? new Set<string>();
          for (const k of keys) set.add(k);
          positive.set(field, set);
        }
        break;
      }
      case 'actor':
        actors.add(value, negated);
        break;
      case 'ip': {
        const range = ipRange(value);
        if (typeof range === 'string') fail(clause, range, 'an IPv4 or IPv6 address, or a CIDR block such as 10.0.0.0/8');
        ips.add(range, negated, `${Buffer.from(range.lo).toString('hex')}-${Buffer.from(range.hi).toString('hex')}`);
        break;
      }
      case 'country':
        countries.add(value, negated, asciiLower(value));
        break;
      case 'city':
        cities.add(value, negated, asciiLower(value));
        break;
      case 'location':
        locations.add(value, negated, asciiLower(value));
        break;
      case 'outcome': {
        const outcome = value.toLowerCase() as Outcome;
        if (!OUTCOMES.includes(outcome)) fail(clause, `'${value}' is not an outcome`, OUTCOMES.join(' or '));
        outcomes.add(outcome, negated);
        break;
      }
      case 'context':
      case 'container':
      case 'entity':
        for (const ref of entityRefs(value)) entities[field].add(ref, negated, `${ref.type ?? ''}\u0000${ref.id}`);
        break;
      case 'time': {
        if (negated) fail(clause, 'a time cannot be excluded', 'time:<… or time:>=… for the times wanted');
        const span = 'span' in clause.origin ? clause.origin.span.start : 0;
        filter.time = intersect(filter.time, parseQueryTime(value, span, ctx.now));
        if (filter.time.from !== undefined && filter.time.to !== undefined && filter.time.from >= filter.time.to) {
          // Each time: narrows the window (so that time:>=a time:<b is a range): two that do not overlap leave none.
          fail(clause, `leaves no time at all with the window before it (${new Date(filter.time.to).toISOString()} is not after `
            + `${new Date(filter.time.from).toISOString()}): each time: narrows the window`, 'times that overlap, or one range such as time:2026-11-20..2026-11-25');
        }
        break;
      }
    }
  }
  if (positive.size > 0) {
    const sets = [...positive.values()];
    const any = [...sets[0]].filter((k) => sets.every((s) => s.has(k)) && !negative.has(k));
    filter.actions = { any };
    const within: NonNullable<EventFilter['actionsWithin']> = {};
    if (groups.category.size > 0) within.categories = [...groups.category];
    if (groups.product.size > 0) within.products = [...groups.product];
    if (within.categories || within.products) filter.actionsWithin = within;
  } else if (negative.size > 0) {
    filter.actions = { none: [...negative] };
  }
  const set = <K extends keyof EventFilter>(key: K, value: EventFilter[K] | undefined) => {
    if (value !== undefined) filter[key] = value;
  };
  set('actors', actors.build());
  set('ips', ips.build());
  set('countries', countries.build());
  set('cities', cities.build());
  set('locations', locations.build());
  set('outcomes', outcomes.build());
  set('contexts', entities.context.build());
  set('containers', entities.container.build());
  set('entities', entities.entity.build());
  const text = new MatchBuilder<string>();
  for (const t of query?.terms ?? []) if (t.kind === 'text') text.add(t.text, t.negated, t.text.toLowerCase());
  if (text.any.length || text.none.length) {
    filter.text = {};
    if (text.any.length) filter.text.all = text.any;
    if (text.none.length) filter.text.none = text.none;
  }
  return filter;
}
