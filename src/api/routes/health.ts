// Liveness (the process answers) and readiness (the store answers; and whether it is still warming up after a start,
// which changes no answer, only how soon the first searches come).
import type { FastifyInstance } from 'fastify';
import type { Annals } from '../../annals.js';
import { unavailableForNow } from '../../domain/errors.js';

export function healthRoutes(app: FastifyInstance, annals: Annals, warming: () => boolean): void {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['health'], summary: 'Readiness: the store answers' } }, async () => {
    try {
      await annals.store.ping();
    } catch (error) {
      throw unavailableForNow('the store does not answer', error);
    }
    return { status: 'ready', store: annals.store.dialect, warming: warming() };
  });
}
