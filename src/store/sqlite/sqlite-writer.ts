// The embedded store's writer thread: owns the connection that appends events (see store/writer-thread.ts).
import { workerData } from 'node:worker_threads';
import { serveWrites } from '../writer-thread.js';
import { SqliteAppender } from './sqlite-append.js';
import { openDatabase, type Synchronous } from './sqlite-connection.js';

const { path, synchronous, ledger } = workerData as { path: string; synchronous: Synchronous; ledger: boolean };
const db = openDatabase(path, synchronous);
const appender = new SqliteAppender(db, { ledger });

serveWrites((groups) => appender.append(groups), () => {
  db.close();
});
