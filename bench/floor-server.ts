// The HTTP floor of a case: the least any server could do for it. A bare node:http server, in a process of its own as
// Annals' server is, runs the case's bare SQL statement on the same store for every request and answers with the bytes
// of Annals' own response, nothing else: no parsing, planning, keys, cursors or envelopes. Timed beside Annals, request
// by request in turn, it says what that response costs over HTTP on this machine in that same minute. On the
// project's VMs its p99 moves from about 1 to 14 ms within an hour: a tail no server doing the work can go under.
import { type ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** What the floor does for each request: run `sql` with `args` (all rows), then send `body`. */
export interface FloorCase { sql: string; args: unknown[]; body: Buffer }

export interface FloorServer {
  url: string;
  /** Makes `c` the work and the answer of every request from now on. */
  serve(c: FloorCase): Promise<void>;
  close(): void;
}

/** `dir`: the data directory of the store the cases read (its annals.db, read-only). */
export async function startFloorServer(dir: string): Promise<FloorServer> {
  // Advanced serialization carries the cases' Buffers and BigInts as they are.
  const child: ChildProcess = fork(import.meta.filename, ['floor', dir], { execArgv: ['--import', 'tsx'], stdio: 'inherit', serialization: 'advanced' });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(m as number));
    child.once('exit', (code) => reject(new Error(`floor server exited ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    serve: (c) => new Promise((resolve) => {
      child.once('message', () => resolve());
      child.send(c);
    }),
    close: () => child.kill('SIGTERM'),
  };
}

function floor(dir: string): void {
  const db = new Database(join(dir, 'annals.db'), { readonly: true });
  // As the bench's in-process baseline opens it.
  db.pragma('mmap_size = 17179869184');
  db.defaultSafeIntegers(true);
  let stmt: Database.Statement | undefined;
  let args: unknown[] = [];
  let body = Buffer.alloc(0);
  process.on('message', (c: FloorCase) => {
    stmt = db.prepare(c.sql);
    args = c.args;
    body = Buffer.from(c.body);
    process.send!('ok');
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

if (process.argv[1] === import.meta.filename && process.argv[2] === 'floor') floor(process.argv[3]);
