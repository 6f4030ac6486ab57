// The writer thread: owns the connection that appends events, so sequencing, hashing and index maintenance run on
// a second core while the main thread parses, validates and answers requests. Messages: { id, groups } in,
// { id, results } out (see SqliteAppender.append); { close: true } closes the connection.
import { parentPort, workerData } from 'node:worker_threads';
import type { AppendGroup } from '../store.js';
import { SqliteAppender } from './sqlite-append.js';
import { openDatabase, type Synchronous } from './sqlite-connection.js';

const { path, synchronous, ledger } = workerData as { path: string; synchronous: Synchronous; ledger: boolean };
const db = openDatabase(path, synchronous);
const appender = new SqliteAppender(db, { ledger });

parentPort!.on('message', (message: { id: number; groups: AppendGroup[] } | { close: true }) => {
  if ('close' in message) {
    db.close();
    parentPort!.close();
    return;
  }
  parentPort!.postMessage({ id: message.id, results: appender.append(message.groups) });
});
