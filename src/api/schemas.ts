// Request and response schemas shared by the routes: they validate requests and make the OpenAPI document.
import Type from 'typebox';
import { OPERATIONS } from '../domain/action.js';
import { SCOPES } from '../domain/org.js';
import { PAGE_LIMIT } from '../query/query-service.js';

export const OrgParams = Type.Object({ orgId: Type.String({ maxLength: 64, description: 'Organization id' }) });
export const EventParams = Type.Object({
  orgId: Type.String({ maxLength: 64 }),
  eventId: Type.String({ maxLength: 64, description: 'Event id' }),
});
export const KeyParams = Type.Object({ orgId: Type.String({ maxLength: 64 }), keyId: Type.String({ maxLength: 64 }) });

const List = (description: string) => Type.Optional(Type.Array(Type.String({ maxLength: 512 }), { maxItems: 100, description }));

export const EventSearchQuery = Type.Object({
  from: Type.Optional(Type.String({ maxLength: 40, description: 'Earliest event time, inclusive: epoch ms or ISO-8601' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'Latest event time, exclusive: epoch ms or ISO-8601' })),
  action: List('Action keys (repeat the parameter or separate with commas)'),
  category: List('Catalogue categories, by name or slug'),
  product: List('Products, e.g. jira, confluence, admin'),
  actor: List('Actor ids, emails or names'),
  ip: List('IP addresses'),
  q: Type.Optional(Type.String({ maxLength: 512, description: 'Free text: every word or "quoted phrase" must match' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_LIMIT.max, default: PAGE_LIMIT.default })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'meta.next or a links.prev cursor of an earlier page' })),
  sortOrder: Type.Optional(Type.Union([Type.Literal('desc'), Type.Literal('asc')], { description: 'By event time; default desc (newest first)' })),
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
