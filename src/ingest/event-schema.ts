// The JSON Schema (TypeBox) of what producers send. The same schema validates input and documents the API.
import Type, { type Static } from 'typebox';

export const LIMITS = {
  idLength: 256,
  nameLength: 512,
  typeLength: 64,
  entities: 50,
  entityAttributes: 32,
  messageLength: 4096,
  userAgentLength: 1024,
  metadataBytes: 8192,
  metadataDepth: 8,
  idempotencyKeyLength: 255,
  /** Members allowed in an open-ended object (links, extra actor/auth/app fields, entity attributes). */
  openProperties: 32,
  /** Largest event, as its canonical JSON leaf: bounds what one write can make every later read carry. */
  eventBytes: 64 * 1024,
  /** Events stamped further than this into the future are refused (a producer's clock is off). */
  futureSkewMs: 24 * 3600_000,
} as const;

const Id = Type.String({ minLength: 1, maxLength: LIMITS.idLength });
const Name = Type.String({ maxLength: LIMITS.nameLength });
const Text = Type.String({ maxLength: LIMITS.nameLength });
const Scalar = Type.Union([Type.String({ maxLength: LIMITS.nameLength }), Type.Number(), Type.Boolean(), Type.Null()]);

/** Open-ended objects are bounded in members and key length like everything else. */
const OPEN = { additionalProperties: Text, maxProperties: LIMITS.openProperties, propertyNames: { maxLength: 64 } };
const Links = Type.Record(Type.String({ maxLength: 64 }), Text, { maxProperties: LIMITS.openProperties });

const Identity = Type.Object({
  id: Id,
  name: Type.Optional(Name),
  email: Type.Optional(Type.String({ maxLength: 320 })),
}, OPEN);

export const ActorSchema = Type.Object({
  id: Id,
  name: Type.Optional(Name),
  email: Type.Optional(Type.String({ maxLength: 320 })),
  type: Type.Optional(Type.String({ maxLength: LIMITS.typeLength })),
  auth: Type.Optional(Type.Object({
    authType: Type.Optional(Type.String({ maxLength: LIMITS.typeLength })),
    tokenId: Type.Optional(Text),
    tokenLabel: Type.Optional(Text),
  }, OPEN)),
  onBehalfOf: Type.Optional(Identity),
  app: Type.Optional(Type.Object({ id: Type.Optional(Id), name: Type.Optional(Name) }, OPEN)),
  links: Type.Optional(Links),
}, { additionalProperties: false });

export const EntitySchema = Type.Object({
  id: Id,
  type: Type.String({ minLength: 1, maxLength: LIMITS.typeLength }),
  attributes: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Scalar, { maxProperties: LIMITS.entityAttributes })),
  links: Type.Optional(Links),
}, { additionalProperties: false });

export const LocationSchema = Type.Object({
  ip: Type.Optional(Type.String({ maxLength: 64 })),
  countryName: Type.Optional(Text),
  regionName: Type.Optional(Text),
  city: Type.Optional(Text),
  geo: Type.Optional(Text),
}, { additionalProperties: false });

export const EventInputSchema = Type.Object({
  time: Type.String({ maxLength: 64, description: 'When it happened: ISO-8601 / RFC 3339 date-time with a zone offset or Z' }),
  action: Type.String({ minLength: 1, maxLength: 200, description: 'Catalogue key, e.g. user_management.added_user_to_group' }),
  actor: ActorSchema,
  context: Type.Optional(Type.Array(EntitySchema, { maxItems: LIMITS.entities })),
  container: Type.Optional(Type.Array(EntitySchema, { maxItems: LIMITS.entities })),
  location: Type.Optional(LocationSchema),
  message: Type.Optional(Type.Object({
    content: Type.String({ maxLength: LIMITS.messageLength }),
    format: Type.Optional(Type.String({ maxLength: 32 })),
  }, { additionalProperties: false })),
  outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
  userAgent: Type.Optional(Type.String({ maxLength: LIMITS.userAgentLength })),
  metadata: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.Unknown(), {
    description: `Free-form, at most ${LIMITS.metadataBytes} bytes as JSON and ${LIMITS.metadataDepth} levels deep`,
  })),
  idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idempotencyKeyLength })),
}, { additionalProperties: false, $id: 'EventInput' });

export type EventInputBody = Static<typeof EventInputSchema>;
