// Test fixtures: a throw-away Annals (in a temp dir) with its HTTP app, an org and keys.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Annals, openAnnals } from '../../src/annals.js';
import { buildApp } from '../../src/api/app.js';
import type { EventInput } from '../../src/domain/event.js';
import type { Scope } from '../../src/domain/org.js';
import { dropSchema, newSchema, POSTGRES_URL } from './postgres.js';

export interface TestAnnals {
  dir: string;
  annals: Annals;
  app: FastifyInstance;
  /** Instance admin token. */
  admin: string;
  /** Creates an org (if needed) and a key with `scopes` for it. */
  token(org: string, scopes: Scope[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * The store the API tests run on: ANNALS_TEST_STORE=postgres puts each test Annals in a schema of its own on the
 * test PostgreSQL server (scripts/run-tests.mjs runs test/api/ and test/cli/ once per store); the embedded store otherwise.
 */
export const TEST_STORE = process.env.ANNALS_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

export async function startAnnals(options: { maxBatch?: number; bodyLimit?: number; warming?: () => boolean } = {}): Promise<TestAnnals> {
  const dir = mkdtempSync(join(tmpdir(), 'annals-test-'));
  const schema = TEST_STORE === 'postgres' ? newSchema() : undefined;
  const annals = await openAnnals({
    dataDir: dir, synchronous: 'NORMAL', maxBatch: options.maxBatch,
    ...(schema === undefined ? {} : { databaseUrl: POSTGRES_URL, databaseSchema: schema }),
  });
  const app = await buildApp(annals, { bodyLimit: options.bodyLimit, warming: options.warming });
  const admin = (await annals.keys.create(null, 'test admin', ['admin'])).token;
  return {
    dir, annals, app, admin,
    async token(org, scopes) {
      if (!(await annals.store.getOrg(org))) await annals.store.createOrg({ id: org, name: org });
      return (await annals.keys.create(org, 'test', scopes)).token;
    },
    async close() {
      await app.close();
      await annals.close();
      rmSync(dir, { recursive: true, force: true });
      if (schema !== undefined) await dropSchema(schema);
    },
  };
}

let counter = 0;

/** A valid event; `overrides` replace top-level fields. */
export function event(overrides: Partial<EventInput> & Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    time: new Date(Date.UTC(2026, 10, 20, 10, 0, 0) + counter * 1000).toISOString(),
    action: 'user_management.added_user_to_group',
    actor: { id: 'u-ana', name: 'Ana Silva', email: 'ana.silva@acme.example' },
    context: [{ id: 'u-bob', type: 'users', attributes: { name: 'Bob Jones' } }, { id: 'g-1', type: 'groups', attributes: { name: 'jira-admins' } }],
    container: [{ id: 'site-1', type: 'sites', attributes: { siteName: 'acme' } }],
    location: { ip: '91.225.122.155', countryName: 'Ukraine', regionName: 'Kyiv City', city: 'Kyiv' },
    message: { content: 'Added Bob Jones to jira-admins', format: 'simple' },
    ...overrides,
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
