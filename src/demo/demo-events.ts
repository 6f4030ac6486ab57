// The demo event generator: realistic audit activity for the demo org (`annals demo`, tests, benchmarks).
// Pure and deterministic for a seed; no I/O. Events share frozen sub-objects (actors, locations, entities and
// container arrays come from pools built once), so copy before mutating anything below the event's top level.

import { BUILT_IN_ACTIONS } from '../catalogue/catalogue.js';
import type { Actor, Entity, EventInput, Location } from '../domain/event.js';
import { buildCast, type Cast, type DemoApp, type DemoUser, GROUPS, SITES, STREAM } from './cast.js';
import { buildContent, type Content, type Item } from './content.js';
import { AliasTable, Rng } from './random.js';
import { activityAt, DAY_MS, schedule, type Zone } from './rhythm.js';
import { type ActionPlan, type Audience, buildPlans } from './templates.js';

export interface DemoOptions {
  seed?: number;
  users?: number;
  events: number;
  end?: number;
  days?: number;
}

/** In runs of at least this many events every category appears; from FORCE_ACTIONS on, every action. */
const FORCE_CATEGORIES = 1_000;
const FORCE_ACTIONS = 100_000;

interface Pool {
  users: readonly DemoUser[];
  table: AliasTable;
}

interface World {
  cast: Cast;
  content: Content;
  plans: readonly ActionPlan[];
  actionTable: AliasTable;
  /** Plans of each category with a weighted table, for forcing a category into small runs. */
  categories: readonly { plans: readonly ActionPlan[]; table: AliasTable }[];
  pools: Readonly<Record<Audience, Pool>>;
  appsByProduct: ReadonlyMap<string, readonly DemoApp[]>;
  zones: readonly Zone[];
  orgOnly: readonly Entity[];
}

const worlds = new Map<string, World>();

function world(seed: number, userCount: number): World {
  const key = `${seed}:${userCount}`;
  const known = worlds.get(key);
  if (known) return known;
  const cast = buildCast(seed, userCount);
  const content = buildContent(seed);
  const plans = buildPlans(BUILT_IN_ACTIONS);
  for (const p of plans) {
    // "Connected with Slack", not "Connected with Slack Slack".
    if (p.appendLabel && p.subject !== 'self' && p.subject !== 'target') {
      const items = content[p.subject].items;
      if (items.length === 1 && p.displayName.toLowerCase().includes(items[0].label.toLowerCase())) p.appendLabel = false;
    }
  }
  const byCategory = new Map<string, ActionPlan[]>();
  for (const p of plans) {
    const list = byCategory.get(p.category) ?? [];
    list.push(p);
    byCategory.set(p.category, list);
  }
  const pool = (users: readonly DemoUser[]): Pool => {
    const chosen = users.length > 0 ? users : cast.users;
    return { users: chosen, table: new AliasTable(chosen.map((u) => u.activity)) };
  };
  const inDepartments = (...names: string[]): DemoUser[] => cast.users.filter((u) => names.includes(u.department));
  const appsByProduct = new Map<string, DemoApp[]>();
  for (const app of cast.apps) {
    for (const product of app.products) appsByProduct.set(product, [...(appsByProduct.get(product) ?? []), app]);
  }
  const zoneWeights = new Map<number, number>();
  for (const u of cast.users) zoneWeights.set(u.offsetMs, (zoneWeights.get(u.offsetMs) ?? 0) + u.activity);
  const w: World = {
    cast,
    content,
    plans,
    actionTable: new AliasTable(plans.map((p) => p.weight)),
    categories: [...byCategory.values()].map((list) => ({ plans: list, table: new AliasTable(list.map((p) => p.weight)) })),
    pools: {
      all: pool(cast.users),
      eng: pool(inDepartments('engineering', 'it')),
      support: pool(inDepartments('support', 'it')),
      productAdmins: pool(cast.productAdmins),
      orgAdmins: pool(cast.orgAdmins),
      tokenHolders: pool(cast.tokenHolders),
    },
    appsByProduct,
    zones: [...zoneWeights].map(([offsetMs, weight]) => ({ offsetMs, weight })),
    orgOnly: Object.freeze([content.org.items[0].entity]),
  };
  if (worlds.size >= 4) worlds.delete(worlds.keys().next().value as string);
  worlds.set(key, w);
  return w;
}

interface Reason {
  text: string;
  metadata: Record<string, unknown>;
}

const reasons = (list: readonly [string, string][]): readonly Reason[] =>
  Object.freeze(list.map(([code, text]) => Object.freeze({ text, metadata: Object.freeze({ reason: code }) })));

const FAILURE_REASONS: Readonly<Record<ActionPlan['failureKind'], readonly Reason[]>> = {
  login: reasons([['invalid_credentials', 'incorrect password'], ['two_step_verification_failed', 'two-step verification failed'], ['account_locked', 'account locked']]),
  read: reasons([['permission_denied', 'permission denied'], ['not_found', 'not found']]),
  write: reasons([['permission_denied', 'permission denied'], ['conflict', 'conflicting change'], ['validation_error', 'validation error']]),
  named: reasons([['timeout', 'timed out'], ['internal_error', 'internal error'], ['dependency_unavailable', 'dependency unavailable']]),
  api: reasons([['unauthorized', 'unauthorized'], ['forbidden', 'forbidden'], ['rate_limited', 'rate limited']]),
};

const API_CALLS: Readonly<Record<string, readonly [string, string][]>> = {
  jira: [
    ['GET', '/rest/api/3/search/jql'], ['GET', '/rest/api/3/issue/{issueIdOrKey}'], ['PUT', '/rest/api/3/issue/{issueIdOrKey}'],
    ['POST', '/rest/api/3/issue'], ['POST', '/rest/api/3/issue/{issueIdOrKey}/comment'], ['GET', '/rest/agile/1.0/board/{boardId}/sprint'],
    ['POST', '/rest/api/3/issue/{issueIdOrKey}/transitions'], ['GET', '/rest/api/3/myself'],
  ],
  confluence: [
    ['GET', '/wiki/api/v2/pages/{id}'], ['GET', '/wiki/rest/api/search'], ['PUT', '/wiki/api/v2/pages/{id}'],
    ['POST', '/wiki/api/v2/pages'], ['GET', '/wiki/api/v2/spaces'], ['GET', '/wiki/api/v2/pages/{id}/children'],
  ],
};
const API_STATUS: Readonly<Record<string, number>> = { unauthorized: 401, forbidden: 403, rate_limited: 429 };

/** Request metadata per product: successes, and failures by reason code. */
const API_METADATA: ReadonlyMap<string, { ok: readonly Record<string, unknown>[]; failed: ReadonlyMap<string, readonly Record<string, unknown>[]> }> = new Map(
  Object.entries(API_CALLS).map(([product, calls]) => [product, {
    ok: Object.freeze(calls.map(([method, path]) => Object.freeze({ method, path, status: method === 'POST' ? 201 : 200 }))),
    failed: new Map(Object.entries(API_STATUS).map(([reason, status]) =>
      [reason, Object.freeze(calls.map(([method, path]) => Object.freeze({ method, path, status, reason })))])),
  }]),
);

function checkOptions(options: DemoOptions, batchSize: number): void {
  const { events, users = 300, days = 30, seed = 1 } = options;
  if (!Number.isSafeInteger(events) || events < 0) throw new RangeError(`demo: events must be a non-negative integer (got ${events})`);
  if (!Number.isSafeInteger(users) || users < 1) throw new RangeError(`demo: users must be a positive integer (got ${users})`);
  if (!(days > 0) || !Number.isFinite(days)) throw new RangeError(`demo: days must be a positive number (got ${days})`);
  if (!Number.isFinite(seed)) throw new RangeError(`demo: seed must be a finite number (got ${seed})`);
  if (options.end !== undefined && !Number.isFinite(options.end)) throw new RangeError(`demo: end must be epoch milliseconds (got ${options.end})`);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`demo: batchSize must be a positive integer (got ${batchSize})`);
}

/** Yields events in ascending time order, in arrays of at most `batchSize` (default 1000). Deterministic for a seed. */
export function demoEvents(options: DemoOptions, batchSize = 1000): Generator<EventInput[]> {
  checkOptions(options, batchSize);
  // Resolved now, not at the first next(): the window is fixed when the generator is made.
  const end = Math.floor(options.end ?? Date.now());
  return generate(options, end, batchSize);
}

function* generate(options: DemoOptions, end: number, batchSize: number): Generator<EventInput[]> {
  const total = options.events;
  if (total === 0) return;
  const seed = options.seed ?? 1;
  const w = world(seed, options.users ?? 300);
  const { cast, content, plans, pools, orgOnly } = w;
  const users = cast.users;
  const rng = new Rng(seed, STREAM.events);
  const start = end - Math.round((options.days ?? 30) * DAY_MS);

  // Trips: a traveller spends 2-7 days of the window in another city.
  const tripStart = new Float64Array(users.length).fill(Infinity);
  const tripEnd = new Float64Array(users.length).fill(-Infinity);
  for (const u of users) {
    if (!u.trip) continue;
    const length = Math.min(end - start, (2 + 5 * rng.next()) * DAY_MS);
    tripStart[u.index] = start + rng.next() * (end - start - length);
    tripEnd[u.index] = tripStart[u.index] + length;
  }

  // Coverage: a few events are drawn from a fixed list so that small runs still show every category (and large
  // runs every action). They sit at stratified random positions.
  const forcedActions: number[] = [];
  if (total >= FORCE_ACTIONS) for (const p of plans) forcedActions.push(p.index);
  else if (total >= FORCE_CATEGORIES) for (const c of w.categories) forcedActions.push(c.plans[c.table.sample(rng)].index);
  rng.shuffle(forcedActions);
  const forcedAt = new Float64Array(forcedActions.length);
  for (let j = 0; j < forcedActions.length; j++) forcedAt[j] = Math.floor(((j + rng.next()) * total) / forcedActions.length);
  let nextForced = 0;

  const slices = schedule(start, end, total, w.zones, rng);
  const scratch = new Float64Array(Math.max(1, slices.maxCount));

  const pickUser = (pool: Pool, t: number): DemoUser => {
    let u = pool.users[pool.table.sample(rng)];
    for (let tries = 0; tries < 30; tries++) {
      if (rng.next() < activityAt(t, u.offsetMs)) return u;
      u = pool.users[pool.table.sample(rng)];
    }
    return u;
  };
  const pickTarget = (not: DemoUser | undefined): DemoUser => {
    let u = users[rng.int(users.length)];
    if (u === not && users.length > 1) u = users[(u.index + 1) % users.length];
    return u;
  };
  const locate = (u: DemoUser, t: number): Location => {
    if (t >= tripStart[u.index] && t < tripEnd[u.index] && u.trip) return u.trip;
    if (u.vpn !== undefined && rng.next() < 0.15) return u.vpn;
    if (u.homes.length > 1 && rng.next() < u.secondHomeShare) return u.homes[1];
    return u.homes[0];
  };

  let batch: EventInput[] = [];
  let index = 0;
  for (let b = 0; b < slices.counts.length; b++) {
    const count = slices.counts[b];
    if (count === 0) continue;
    const sliceStart = slices.starts[b];
    const sliceLength = slices.lengths[b];
    const times = scratch.subarray(0, count);
    for (let i = 0; i < count; i++) times[i] = Math.floor(sliceStart + rng.next() * sliceLength);
    times.sort();
    for (let i = 0; i < count; i++, index++) {
      const t = times[i];
      let p: ActionPlan;
      if (nextForced < forcedAt.length && forcedAt[nextForced] === index) p = plans[forcedActions[nextForced++]];
      else p = plans[w.actionTable.sample(rng)];

      // Who, from where, with what.
      let actor: Actor;
      let location: Location | undefined;
      let userAgent: string | undefined;
      let user: DemoUser | undefined;
      let kind = p.actorKind;
      if (kind === 'user' && p.appShare > 0 && rng.next() < p.appShare) kind = 'app';
      if (kind === 'app') {
        const apps = w.appsByProduct.get(p.appProduct);
        if (apps === undefined) kind = 'user';
        else {
          const app = apps[rng.int(apps.length)];
          actor = app.actor;
          location = app.location;
          userAgent = app.userAgent;
        }
      }
      if (kind === 'system') actor = cast.system;
      else if (kind === 'scim') {
        actor = cast.scim.actor;
        location = cast.scim.location;
        userAgent = cast.scim.userAgent;
      } else if (kind === 'user') {
        user = pickUser(pools[p.audience], t);
        const token = user.tokens.length > 0 && p.tokenShare > 0 && (p.tokenShare >= 1 || rng.next() < p.tokenShare)
          ? user.tokens[rng.int(user.tokens.length)]
          : user.adminKey !== undefined && p.adminKeyShare > 0 && rng.next() < p.adminKeyShare ? user.adminKey : undefined;
        if (token !== undefined) {
          actor = token.actor;
          location = token.location;
          userAgent = token.userAgent;
        } else {
          actor = user.actor;
          location = locate(user, t);
          userAgent = user.mobile !== undefined && rng.next() < 0.12 ? user.mobile : user.browser;
        }
      }

      // What it is about.
      let subject: Item | undefined;
      let target: DemoUser | undefined;
      let main: Entity;
      let label: string;
      let containers: readonly Entity[];
      if (p.subject === 'self') {
        const u = user ?? pickTarget(undefined);
        main = u.entity;
        label = u.name;
        containers = orgOnly;
      } else if (p.subject === 'target') {
        target = pickTarget(user);
        main = target.entity;
        label = target.name;
        containers = orgOnly;
      } else {
        subject = content[p.subject].pick(rng);
        main = subject.entity;
        label = subject.label;
        containers = subject.containers;
      }
      const context: Entity[] = [main];
      if (p.withUser) {
        target = pickTarget(user);
        context.push(target.entity);
      }
      let group: Item | undefined;
      if (p.withGroup) {
        group = content[p.groupKind].pick(rng);
        context.push(group.entity);
      } else if (p.subject === 'group') group = subject;
      if (p.extra !== null) context.push(content[p.extra].pick(rng).entity);

      // How it reads.
      let text = p.segments[0];
      for (let s = 0; s < p.slots.length; s++) {
        const slot = p.slots[s];
        const value = slot === 'user' ? target?.name : slot === 'group' ? group?.label : label;
        text += (value === undefined ? '' : ` ${value}`) + p.segments[s + 1];
      }
      if (p.appendLabel) text += p.labelPrefix + label + p.labelSuffix;

      // How it went.
      let metadata: Record<string, unknown> | undefined;
      const failed = p.failure >= 1 || (p.failure > 0 && rng.next() < p.failure);
      if (failed) {
        const list = FAILURE_REASONS[p.failureKind];
        const reason = list[rng.int(list.length)];
        metadata = reason.metadata;
        if (p.failure < 1) text += ` (failed: ${reason.text})`;
      }
      if (p.api) {
        const meta = API_METADATA.get(p.appProduct);
        if (meta !== undefined) {
          const list = failed ? meta.failed.get(metadata?.reason as string) ?? meta.ok : meta.ok;
          metadata = list[rng.int(list.length)];
        }
      }

      const event: EventInput = {
        time: new Date(t).toISOString(),
        action: p.key,
        actor: actor!,
        context,
        container: containers as Entity[],
        message: { content: text, format: 'simple' },
        outcome: failed ? 'failure' : 'success',
      };
      if (location !== undefined) event.location = location;
      if (userAgent !== undefined) event.userAgent = userAgent;
      if (metadata !== undefined) event.metadata = metadata;
      batch.push(event);
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** The demo org's cast (for tests and docs): users with id/name/email/home city, groups, sites. */
export function demoCast(options: { seed?: number; users?: number } = {}): {
  users: { id: string; name: string; email: string; city: string; ip: string }[];
  groups: string[];
  sites: string[];
} {
  const users = options.users ?? 300;
  if (!Number.isSafeInteger(users) || users < 1) throw new RangeError(`demo: users must be a positive integer (got ${users})`);
  const { cast } = world(options.seed ?? 1, users);
  return {
    users: cast.users.map((u) => ({ id: u.id, name: u.name, email: u.email, city: u.city.city, ip: u.homes[0].ip as string })),
    groups: [...GROUPS],
    sites: [...SITES],
  };
}
