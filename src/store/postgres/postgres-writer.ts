// The PostgreSQL store's writer thread: sequencing, hashing and building the COPY rows on a core of its own, through
// its own connections (see store/writer-thread.ts and postgres-append.ts).
import { workerData } from 'node:worker_threads';
import { serveWrites, toWireResults } from '../writer-thread.js';
import { PostgresWriter } from './postgres-append.js';
import { openPool, type PoolConfig } from './postgres-pool.js';

const { pool: config, ledger } = workerData as { pool: PoolConfig; ledger: boolean };
const pool = openPool(config);
const writer = new PostgresWriter(pool, ledger);

serveWrites(async (groups) => toWireResults(await writer.append(groups)), () => pool.end());
