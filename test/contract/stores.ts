// The Store adapters the contract suite runs against (after kysely's test/node/src/test-setup.ts `DIALECTS`).
// Every test file under test/contract/ loops over STORES; `ANNALS_TEST_STORES=sqlite,postgres` (comma-separated
// names) keeps only those adapters, unset runs them all.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { dropSchema, newSchema, POSTGRES_URL, postgresReachable } from '../support/postgres.js';

/** One fresh, empty store of an adapter, and how to get rid of it. */
export interface OpenedStore {
  store: Store;
  /**
   * Closes the current store and opens a new one over the same data, as a restart would. Later calls (and cleanup)
   * act on the newest one.
   */
  reopen(): Promise<Store>;
  /** Closes the store (whichever is newest) and removes everything it stored. */
  cleanup(): Promise<void>;
}

export interface StoreUnderTest {
  name: string;
  open(): Promise<OpenedStore>;
}

const ALL: StoreUnderTest[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'annals-contract-'));
      const path = join(dir, 'annals.db');
      let store = new SqliteStore({ path, synchronous: 'NORMAL' });
      const opened: OpenedStore = {
        store,
        async reopen() {
          await store.close();
          store = new SqliteStore({ path, synchronous: 'NORMAL' });
          opened.store = store;
          return store;
        },
        async cleanup() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
      return opened;
    },
  },
  {
    // A fresh schema per open() in the server at POSTGRES_URL; reopen = a new pool on the same schema.
    name: 'postgres',
    async open() {
      const schema = newSchema();
      let store = new PostgresStore({ url: POSTGRES_URL, schema });
      const opened: OpenedStore = {
        store,
        async reopen() {
          await store.close();
          store = new PostgresStore({ url: POSTGRES_URL, schema });
          opened.store = store;
          return store;
        },
        async cleanup() {
          await store.close();
          await dropSchema(schema);
        },
      };
      return opened;
    },
  },
];

async function selected(): Promise<StoreUnderTest[]> {
  const env = process.env.ANNALS_TEST_STORES?.trim();
  if (!env) return (await postgresReachable()) ? ALL : ALL.filter((s) => s.name !== 'postgres');
  const names = env.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.filter((n) => !ALL.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(`ANNALS_TEST_STORES names unknown store(s) ${unknown.join(', ')}; known: ${ALL.map((s) => s.name).join(', ')}`);
  }
  return ALL.filter((s) => names.includes(s.name));
}

export const STORES: StoreUnderTest[] = await selected();
