// A writer thread for test/store/writer-restart.test.ts: the embedded store's own appender (as sqlite-writer.ts runs
// it), which stops its thread when the first event of an append has one of these actors:
//   stop-before   exits before appending (nothing of the append is written);
//   stop-after    appends and commits, then exits before it answers (the append is stored but never acknowledged);
//   throw         throws an error nothing catches before appending (the thread's 'error', then its exit).
import { workerData } from 'node:worker_threads';
import { SqliteAppender } from '../../src/store/sqlite/sqlite-append.js';
import { openDatabase } from '../../src/store/sqlite/sqlite-connection.js';
import { serveWrites } from '../../src/store/writer-thread.js';

const { path } = workerData as { path: string };
const db = openDatabase(path, 'NORMAL');
const appender = new SqliteAppender(db);

serveWrites((groups) => {
  const actor = groups[0]?.events[0]?.actorId;
  if (actor === 'stop-before') process.exit(3);
  if (actor === 'throw') {
    setImmediate(() => { throw new Error('an error nothing caught'); });
    return new Promise<never>(() => {});
  }
  const results = appender.append(groups);
  if (actor === 'stop-after') process.exit(4);
  return results;
}, () => {
  db.close();
});
