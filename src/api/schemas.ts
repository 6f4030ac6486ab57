// Request and response schemas shared by the routes: they validate requests and make the OpenAPI document.
import Type from 'typebox';
import { OPERATIONS } from '../domain/action.js';
import { ActorSchema, EntitySchema, LocationSchema } from '../ingest/event-schema.js';
import { SCOPES } from '../domain/org.js';
import { CURSOR_MAX_LENGTH } from '../query/cursor.js';
import { FACET_SIZE, INTERVALS, PAGE_LIMIT } from '../query/query-service.js';

export const OrgParams = Type.Object({ orgId: Type.String({ maxLength: 64, description: 'Organization id' }) });
export const EventParams = Type.Object({
  orgId: Type.String({ maxLength: 64 }),
  eventId: Type.String({ maxLength: 64, description: 'Event id' }),
});
export const KeyParams = Type.Object({ orgId: Type.String({ maxLength: 64 }), keyId: Type.String({ maxLength: 64 }) });

const List = (description: string) => Type.Optional(Type.Array(Type.String({ maxLength: 512 }), { maxItems: 100, description }));

const Q = Type.Optional(Type.String({
  maxLength: 512,
  description: 'The query language: qualifiers (action:, category:, product:, operation:, actor:, ip:, country:, city:, '
    + 'location:, context:, container:, entity:, outcome:, time:), -qualifier:value to exclude, and free text (words and "quoted '
    + 'phrases"), e.g. `actor:ana@acme.example -action:jira_user_actions.* time:>-7d "SAML configuration"`',
}));

/** What narrows a search: the time range, the parameters that stand for qualifiers, and `q`. */
const Narrowing = {
  from: Type.Optional(Type.String({ maxLength: 40, description: 'Earliest event time, inclusive: epoch ms or ISO-8601' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'Latest event time, exclusive: epoch ms or ISO-8601' })),
  action: List('Action keys (repeat the parameter or separate with commas); the same as action: in q'),
  category: List('Catalogue categories, by name or slug'),
  product: List('Products, e.g. jira, confluence, admin (a product Annals does not know matches nothing)'),
  actor: List('Actor ids, emails or names'),
  ip: List('IP addresses or CIDR blocks'),
  location: List('Places: events whose location.countryName or location.city is one of them (any case); the same as location: in q'),
  q: Q,
};

const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_LIMIT.max, default: PAGE_LIMIT.default })),
  cursor: Type.Optional(Type.String({
    maxLength: CURSOR_MAX_LENGTH,
    description: 'meta.next or a links.prev cursor of an earlier page. It carries the filters of its query (on the events-stream, its q): sent alone it continues that query; filters sent with it must be the same',
  })),
};

export const EventSearchQuery = Type.Object({
  ...Narrowing,
  ...Paging,
  sortOrder: Type.Optional(Type.Union([Type.Literal('desc'), Type.Literal('asc')], { description: 'By event time; default desc (newest first)' })),
}, { additionalProperties: false });

/**
 * The Atlassian API's `q` on its paths (/admin/v1/…): a single search term, matched as literal free text, so that
 * a connector's term is never read as the query language.
 */
const Term = Type.Optional(Type.String({
  maxLength: 512,
  description: 'Single query term for searching events, matched as literal free text (the query language is `q` on the /v1 paths)',
}));

export const AtlassianEventSearchQuery = Type.Object({ ...EventSearchQuery.properties, q: Term }, { additionalProperties: false });

export const EventStreamQuery = Type.Object({
  from: Type.Optional(Type.String({ maxLength: 40, description: 'Earliest processing time (processedAt), inclusive: epoch ms or ISO-8601' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'Latest processing time, exclusive' })),
  q: Q,
  ...Paging,
  sortOrder: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'By processing time; default asc (oldest first)' })),
  wait: Type.Optional(Type.Integer({
    minimum: 0, maximum: 60,
    description: 'Annals extension, a long poll: when there is nothing new yet, wait up to this many seconds for events '
      + 'to be committed (by any Annals node) before answering; default 0',
  })),
}, { additionalProperties: false });

export const FacetQuery = Type.Object({
  ...Narrowing,
  facets: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), {
    maxItems: 10, description: 'Which counts (comma-separated or repeated): action, category, product, operation, actor, country, outcome; default all',
  })),
  size: Type.Optional(Type.Integer({ minimum: 1, maximum: FACET_SIZE.max, default: FACET_SIZE.default, description: 'Top values per facet' })),
}, { additionalProperties: false });

export const HistogramQuery = Type.Object({
  ...Narrowing,
  interval: Type.Optional(Type.Union([Type.Literal('auto'), ...INTERVALS.map((i) => Type.Literal(i))], {
    description: 'Bucket size (UTC; weeks start on Monday); default auto: at most 120 buckets over the window',
  })),
}, { additionalProperties: false });

export const AroundQuery = Type.Object({
  minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440, default: 30, description: 'How far before and after the event' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Most events per list, half before and half after' })),
}, { additionalProperties: false });

export const EntityParams = Type.Object({
  orgId: Type.String({ maxLength: 64 }),
  entityId: Type.String({ minLength: 1, maxLength: 256, description: 'An entity id: a user, group, site, issue, token…' }),
});

export const TimelineQuery = Type.Object({
  type: Type.Optional(Type.String({ maxLength: 64, description: 'The entity type (users, groups, token…); any when absent' })),
  ...Narrowing,
  ...Paging,
  sortOrder: Type.Optional(Type.Union([Type.Literal('desc'), Type.Literal('asc')], { description: 'By event time; default desc' })),
}, { additionalProperties: false });

export const ActionBody = Type.Object({
  key: Type.String({ minLength: 3, maxLength: 200, description: '<category>.<name>, lower case' }),
  displayName: Type.String({ minLength: 1, maxLength: 200 }),
  category: Type.String({ minLength: 1, maxLength: 200 }),
  operation: Type.Optional(Type.Union(OPERATIONS.map((o) => Type.Literal(o)))),
}, { additionalProperties: false });

export const KeyBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  scopes: Type.Array(Type.Union(SCOPES.map((s) => Type.Literal(s))), { minItems: 1, maxItems: SCOPES.length }),
}, { additionalProperties: false });

export const OrgBody = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'URL-safe id, 1-64 characters' }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
}, { additionalProperties: false });

export const Problem = Type.Object({
  type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.String(), instance: Type.String(),
  code: Type.String(),
}, { additionalProperties: true, description: 'RFC 9457 problem details' });

/** A documented success response whose body is passed through as is. */
export const Ok = (description: string) => Type.Object({}, { additionalProperties: true, description });
export const NoContent = Type.Null({ description: 'No content' });

// Response bodies, for the OpenAPI document (bodies are written as they are: see the serializer in app.ts).
const Url = Type.String({ description: 'Absolute URL' });
const NullableUrl = Type.Union([Url, Type.Null()]);

/** An event as served: the Atlassian Organizations API envelope, Annals' own fields beside the others in attributes. */
const EventEnvelope = Type.Object({
  id: Type.String({ description: 'Event id (UUIDv7, time-sortable)' }),
  type: Type.Literal('events'),
  attributes: Type.Object({
    time: Type.String({ description: 'When it happened (ISO-8601), as the producer said' }),
    processedAt: Type.String({ description: 'When Annals sequenced it (ISO-8601); increases with seq within an org' }),
    action: Type.String({ description: 'Catalogue key' }),
    actor: ActorSchema,
    context: Type.Array(EntitySchema),
    container: Type.Array(EntitySchema),
    location: Type.Optional(LocationSchema),
    outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
    userAgent: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    idempotencyKey: Type.Optional(Type.String()),
    org: Type.String(),
    seq: Type.Integer({ minimum: 0, description: "Position in the org's log: the event's Merkle leaf index" }),
  }, { additionalProperties: false }),
  message: Type.Optional(Type.Object({ content: Type.String(), format: Type.Optional(Type.String()) }, { additionalProperties: false })),
  links: Type.Object({ self: Url }, { additionalProperties: false }),
}, { additionalProperties: false });

/** A page of events, in the Atlassian Organizations API shape. */
export const EventPage = Type.Object({
  data: Type.Array(EventEnvelope),
  meta: Type.Object({
    next: Type.Union([Type.String(), Type.Null()], { description: 'The cursor of the next page; null when there is none' }),
    page_size: Type.Integer(),
  }, { additionalProperties: false }),
  links: Type.Object({ self: Url, next: NullableUrl, prev: NullableUrl }, { additionalProperties: false }),
}, { additionalProperties: false, description: 'A page of events' });

export const OneEvent = Type.Object({ data: EventEnvelope }, { additionalProperties: false, description: 'The event' });

export const Actions = Type.Object({
  data: Type.Array(Type.Object({
    key: Type.String(), displayName: Type.String(), category: Type.String(), product: Type.String(),
    operation: Type.Union(OPERATIONS.map((o) => Type.Literal(o))),
    builtIn: Type.Boolean({ description: "false for the organization's own registered actions" }),
  }, { additionalProperties: false })),
}, { additionalProperties: false, description: "The catalogue and the organization's own actions" });

export const AtlassianActions = Type.Object({
  data: Type.Array(Type.Object({
    id: Type.String({ description: 'Action key' }),
    type: Type.Literal('event-actions'),
    attributes: Type.Object({ displayName: Type.String(), groupDisplayName: Type.String({ description: 'Category' }) }, { additionalProperties: false }),
  }, { additionalProperties: false })),
}, { additionalProperties: false, description: 'Event actions, in the Atlassian Organizations API shape' });
