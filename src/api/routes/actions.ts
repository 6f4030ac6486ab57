// The action catalogue: built-in actions plus the org's own, in Annals' shape and in the Atlassian shape.
import type { FastifyInstance } from 'fastify';
import type { Annals } from '../../annals.js';
import { ActionBody, Actions, AtlassianActions, Ok, OrgParams, Problem } from '../schemas.js';
import type { CustomActionInput } from '../../catalogue/registry.js';

export function actionRoutes(app: FastifyInstance, annals: Annals): void {
  app.get('/v1/orgs/:orgId/event-actions', {
    config: { scope: 'read:events' },
    schema: { tags: ['actions'], summary: 'Every action this org can record: the built-in catalogue and its own', params: OrgParams, response: { 200: Actions } },
  }, async (request) => {
    const { orgId } = request.params as { orgId: string };
    return { data: await annals.actions.list(orgId) };
  });

  app.get('/admin/v1/orgs/:orgId/event-actions', {
    config: { scope: 'read:events' },
    schema: { tags: ['atlassian-compatible'], summary: 'Event actions in the Atlassian Organizations API shape', params: OrgParams, response: { 200: AtlassianActions } },
  }, async (request) => {
    const { orgId } = request.params as { orgId: string };
    const actions = await annals.actions.list(orgId);
    return {
      data: actions.map((a) => ({
        id: a.key,
        type: 'event-actions',
        attributes: { displayName: a.displayName, groupDisplayName: a.category },
      })),
    };
  });

  app.post('/v1/orgs/:orgId/event-actions', {
    config: { scope: 'admin' },
    schema: {
      tags: ['actions'], summary: 'Register a custom action for this org', params: OrgParams, body: ActionBody,
      response: { 201: Ok('The registered action'), 400: Problem, 401: Problem, 403: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const { orgId } = request.params as { orgId: string };
    const action = await annals.actions.register(orgId, request.body as CustomActionInput);
    return reply.code(201).send({ data: action });
  });
}
