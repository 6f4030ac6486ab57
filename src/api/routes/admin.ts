// Organizations and their API keys.
import type { FastifyInstance } from 'fastify';
import type { Annals } from '../../annals.js';
import { AnnalsError } from '../../domain/errors.js';
import type { Scope } from '../../domain/org.js';
import { KeyBody, KeyParams, NoContent, Ok, OrgBody, OrgParams, Problem } from '../schemas.js';

export function adminRoutes(app: FastifyInstance, annals: Annals): void {
  app.post('/v1/orgs', {
    config: { scope: 'admin' },
    schema: {
      tags: ['admin'], summary: 'Create an organization (instance key)', body: OrgBody,
      response: { 201: Ok('The new organization'), 400: Problem, 401: Problem, 403: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const body = request.body as { id: string; name?: string };
    return reply.code(201).send({ data: await annals.store.createOrg({ id: body.id, name: body.name ?? body.id }) });
  });

  app.get('/v1/orgs', {
    config: { scope: 'admin' },
    schema: { tags: ['admin'], summary: 'List organizations (instance key)' },
  }, async () => ({ data: await annals.store.listOrgs() }));

  app.get('/v1/orgs/:orgId', {
    config: { scope: 'read:events' },
    schema: { tags: ['admin'], summary: 'One organization, with the size of its log', params: OrgParams },
  }, async (request) => {
    const { orgId } = request.params as { orgId: string };
    const org = await annals.store.getOrg(orgId);
    if (!org) throw new AnnalsError('ANN_ERR_ORG_NOT_FOUND', `organization '${orgId}' does not exist`, { parameter: 'orgId' });
    return { data: { ...org, events: await annals.store.countEvents(orgId) } };
  });

  app.post('/v1/orgs/:orgId/keys', {
    config: { scope: 'admin' },
    schema: {
      tags: ['admin'], summary: 'Create an API key for this org; the token is shown once', params: OrgParams, body: KeyBody,
      response: { 201: Ok('The new key, with its token'), 400: Problem, 401: Problem, 403: Problem },
    },
  }, async (request, reply) => {
    const { orgId } = request.params as { orgId: string };
    const body = request.body as { name: string; scopes: Scope[] };
    const created = await annals.keys.create(orgId, body.name, body.scopes);
    return reply.code(201).send({ data: { ...created.key, token: created.token } });
  });

  app.get('/v1/orgs/:orgId/keys', {
    config: { scope: 'admin' },
    schema: { tags: ['admin'], summary: "This org's API keys (never their tokens)", params: OrgParams },
  }, async (request) => {
    const { orgId } = request.params as { orgId: string };
    return { data: await annals.keys.list(orgId) };
  });

  app.delete('/v1/orgs/:orgId/keys/:keyId', {
    config: { scope: 'admin' },
    schema: { tags: ['admin'], summary: 'Revoke an API key', params: KeyParams, response: { 204: NoContent, 404: Problem } },
  }, async (request, reply) => {
    const { orgId, keyId } = request.params as { orgId: string; keyId: string };
    await annals.keys.revoke(orgId, keyId);
    return reply.code(204).send();
  });
}
