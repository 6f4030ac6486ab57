// The HTTP floor of a case: the least a server could do for it. A bare node:http server, in a process of its own
// started as Annals' server is (bench/server.ts), runs the case's bare SQL statement on the same store for every
// request and answers with the bytes of Annals' own response, nothing else: no parsing, planning, keys, cursors or
// envelopes. Timed beside Annals, request by request in turn, it says what that response costs over HTTP on this
// machine in that same minute. On the project's VMs its p99 moves from about 1 to 14 ms within an hour.
import { type ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { entryCommand } from './server.js';

/** What the floor does for each request: run `sql` with `args` (all rows), then send `body`. */
export interface FloorCase { sql: string; args: unknown[]; body: Buffer }

export interface FloorServer {
  url: string;
  /** The floor's process (its CPU time: report.ts cpuTime). */
  pid: number;
  /** Makes `c` the work and the answer of every request from now on (one call at a time: replies come in order). */
  serve(c: FloorCase): Promise<void>;
  close(): void;
}

/** `dir`: the data directory of the store the cases read (its annals.db, read-only). */
export async function startFloorServer(dir: string): Promise<FloorServer> {
  const entry = entryCommand();
  // Advanced serialization carries the cases' Buffers and BigInts as they are.
  const child: ChildProcess = fork(import.meta.filename, ['floor', dir], {
    execArgv: [...entry.flags, '--import', 'tsx'], env: { ...process.env, ...entry.env }, stdio: 'inherit', serialization: 'advanced',
  });
  /** The child's next message, or an error if it exits (or cannot be sent to) first. */
  const reply = (send?: FloorCase) => new Promise<unknown>((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`the floor server exited (${code})`));
    child.once('exit', exited);
    child.once('message', (m: unknown) => {
      child.off('exit', exited);
      if (typeof m === 'object' && m !== null && 'error' in m) reject(new Error(`the floor server: ${String(m.error)}`));
      else resolve(m);
    });
    if (send) child.send(send, (error) => error && reject(error));
  });
  const port = await reply() as number;
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    serve: async (c) => {
      await reply(c);
    },
    close: () => child.kill('SIGTERM'),
  };
}

function floor(dir: string): void {
  const db = new Database(join(dir, 'annals.db'), { readonly: true });
  // The read pragmas of Annals' own connections (sqlite-connection.ts); keys as the bench's statements bind them.
  db.pragma('cache_size = -262144');
  db.pragma('mmap_size = 17179869184');
  db.pragma('temp_store = MEMORY');
  db.defaultSafeIntegers(true);
  let stmt: Database.Statement | undefined;
  let args: unknown[] = [];
  let body = Buffer.alloc(0);
  process.on('message', (c: FloorCase) => {
    try {
      stmt = db.prepare(c.sql);
      args = c.args;
      body = Buffer.from(c.body);
      process.send!('ok');
    } catch (error) {
      process.send!({ error: (error as Error).message });
    }
  });
  const server = http.createServer((_req, res) => {
    stmt?.all(...args);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[2] === 'floor' && process.send !== undefined) floor(process.argv[3]);
