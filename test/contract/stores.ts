// The Store adapters the contract suite runs against (after kysely's test/node/src/test-setup.ts `DIALECTS`).
// Every test file under test/contract/ loops over STORES; `ANNALS_TEST_STORES=sqlite,postgres` (comma-separated
// names) keeps only those adapters, unset runs them all.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

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
  // postgres: add the PostgreSQL adapter here once src/store/postgres/ exists, e.g.
  //   { name: 'postgres', async open() { /* a fresh schema (or database) per open() in the server at
  //     127.0.0.1:5432 (trust auth, database `test`); reopen = new pool on the same schema; cleanup = close the pool
  //     and DROP SCHEMA … CASCADE */ } },
];

function selected(): StoreUnderTest[] {
  const env = process.env.ANNALS_TEST_STORES?.trim();
  if (!env) return ALL;
  const names = env.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.filter((n) => !ALL.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(`ANNALS_TEST_STORES names unknown store(s) ${unknown.join(', ')}; known: ${ALL.map((s) => s.name).join(', ')}`);
  }
  return ALL.filter((s) => names.includes(s.name));
}

export const STORES: StoreUnderTest[] = selected();
