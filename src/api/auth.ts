// Authentication and authorization for every route that declares `config.scope`: runs on request, before the
// body is read, so an unauthenticated client cannot make the server parse a large body.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Annals } from '../annals.js';
import { ApiKeyService } from '../auth/api-keys.js';
import { AnnalsError } from '../domain/errors.js';
import type { ApiKey, Scope } from '../domain/org.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope the route needs; routes without one are public (health, docs). */
    scope?: Scope;
  }
  interface FastifyRequest {
    apiKey: ApiKey | null;
  }
}

export function registerAuth(app: FastifyInstance, annals: Annals): void {
  // Orgs are never deleted, so a positive lookup can be remembered.
  const knownOrgs = new Set<string>();
  app.decorateRequest('apiKey', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const scope = request.routeOptions.config.scope;
    if (scope === undefined) return;
    const key = await annals.keys.authenticate(request.headers.authorization);
    const org = (request.params as { orgId?: string }).orgId;
    ApiKeyService.authorize(key, scope, org);
    if (org !== undefined && !knownOrgs.has(org)) {
      if (!(await annals.store.getOrg(org))) {
        throw new AnnalsError('ANN_ERR_ORG_NOT_FOUND', `organization '${org}' does not exist`, { parameter: 'orgId' });
      }
      knownOrgs.add(org);
    }
    request.apiKey = key;
  });
}
