// The tamper-evident ledger over HTTP: signing keys, signed checkpoints, inclusion and consistency proofs.
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Annals } from '../../annals.js';
import { AnnalsError } from '../../domain/errors.js';
import type { StoredCheckpoint } from '../../store/store.js';
import { Ok, OrgParams, Problem } from '../schemas.js';

export function checkpointView(origin: string, c: StoredCheckpoint) {
  return { origin, size: c.size, rootHash: c.rootHash.toString('base64'), time: new Date(c.timeMs).toISOString(), note: c.note };
}

const Size = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export function ledgerRoutes(app: FastifyInstance, annals: Annals): void {
  const { ledger } = annals;

  app.get('/v1/ledger/keys', {
    schema: {
      tags: ['ledger'], security: [],
      summary: "Public keys that sign checkpoints: every node's published ones (each published by the first checkpoint it signs) and this node's own; the active one signs here now",
    },
  }, async () => ({ data: await ledger.publicKeys() }));

  app.get('/v1/orgs/:orgId/checkpoints/latest', {
    config: { scope: 'read:events' },
    schema: { tags: ['ledger'], summary: 'The latest signed checkpoint (tree size, root hash, C2SP signed note)', params: OrgParams },
  }, async (request) => {
    const { orgId } = request.params as { orgId: string };
    return { data: checkpointView(ledger.origin(orgId), await ledger.latest(orgId)) };
  });

  app.post('/v1/orgs/:orgId/checkpoints', {
    // Cutting writes a row: not for read-only keys (they get one cut per log size at most, through the GETs).
    config: { scope: 'write:events' },
    schema: { tags: ['ledger'], summary: 'Cut a checkpoint of the log as it is now', params: OrgParams, response: { 201: Ok('The checkpoint') } },
  }, async (request, reply) => {
    const { orgId } = request.params as { orgId: string };
    return reply.code(201).send({ data: checkpointView(ledger.origin(orgId), await ledger.cut(orgId)) });
  });

  app.get('/v1/orgs/:orgId/checkpoints', {
    config: { scope: 'read:events' },
    schema: {
      tags: ['ledger'], summary: 'Checkpoints kept, by tree size', params: OrgParams,
      querystring: Type.Object({ from: Type.Optional(Size), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }, { additionalProperties: false }),
    },
  }, async (request) => {
    const { orgId } = request.params as { orgId: string };
    const { from = 0, limit = 100 } = request.query as { from?: number; limit?: number };
    const list = await annals.store.listCheckpoints(orgId, from, limit);
    return { data: list.map((c) => checkpointView(ledger.origin(orgId), c)) };
  });

  app.get('/v1/orgs/:orgId/checkpoints/:size', {
    config: { scope: 'read:events' },
    schema: {
      tags: ['ledger'], summary: 'The checkpoint kept at a tree size',
      params: Type.Object({ orgId: Type.String({ maxLength: 64 }), size: Size }), response: { 404: Problem },
    },
  }, async (request) => {
    const { orgId, size } = request.params as { orgId: string; size: number };
    return { data: checkpointView(ledger.origin(orgId), await ledger.at(orgId, size)) };
  });

  app.get('/v1/orgs/:orgId/proofs/inclusion', {
    config: { scope: 'read:events' },
    schema: {
      tags: ['ledger'],
      summary: 'Inclusion proof of an event (by eventId or leaf index) in the tree of a checkpoint (default: the latest)',
      params: OrgParams,
      querystring: Type.Object({
        eventId: Type.Optional(Type.String({ maxLength: 64 })),
        index: Type.Optional(Size),
        treeSize: Type.Optional(Size),
      }, { additionalProperties: false }),
      response: { 400: Problem, 404: Problem },
    },
  }, async (request) => {
    const { orgId } = request.params as { orgId: string };
    const q = request.query as { eventId?: string; index?: number; treeSize?: number };
    if ((q.eventId === undefined) === (q.index === undefined)) {
      throw new AnnalsError('ANN_ERR_QUERY_INVALID', 'give exactly one of eventId and index', { parameter: 'eventId' });
    }
    const index = q.index ?? (await annals.query.getEvent(orgId, q.eventId!)).seq;
    let checkpoint = q.treeSize === undefined ? await ledger.latest(orgId) : await ledger.at(orgId, q.treeSize);
    // An event newer than the latest checkpoint: cut one that covers it.
    if (q.treeSize === undefined && checkpoint.size <= index) checkpoint = await ledger.cut(orgId);
    const proof = await ledger.inclusion(orgId, index, checkpoint.size);
    return {
      data: {
        leafIndex: proof.leafIndex,
        treeSize: proof.treeSize,
        leafHash: proof.leafHash.toString('base64'),
        hashes: proof.hashes.map((h) => h.toString('base64')),
        checkpoint: checkpointView(ledger.origin(orgId), checkpoint),
      },
    };
  });

  app.get('/v1/orgs/:orgId/proofs/consistency', {
    config: { scope: 'read:events' },
    schema: {
      tags: ['ledger'], summary: 'Consistency proof: the tree of `from` leaves is a prefix of the tree of `to` leaves', params: OrgParams,
      querystring: Type.Object({ from: Size, to: Size }, { additionalProperties: false }),
      response: { 400: Problem },
    },
  }, async (request) => {
    const { orgId } = request.params as { orgId: string };
    const { from, to } = request.query as { from: number; to: number };
    const hashes = await ledger.consistency(orgId, from, to);
    return { data: { from, to, hashes: hashes.map((h) => h.toString('base64')) } };
  });
}
