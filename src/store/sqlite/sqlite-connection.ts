// Opening the embedded store's file: the same pragmas for every connection (the reader and the writer thread).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type Synchronous = 'FULL' | 'NORMAL';

export function openDatabase(path: string, synchronous: Synchronous = 'FULL'): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // 16 KiB pages (set before anything is written; a no-op on an existing file): fewer, wider B-tree pages make
  // appends to seven indexes and the full-text index ~20% cheaper than the 4 KiB default (measured here).
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  // A large page cache and memory-mapped reads keep index pages hot (see the architecture guide's figures). SQLite
  // as better-sqlite3 builds it maps at most the file's first 2 GiB (SQLITE_MAX_MMAP_SIZE: `PRAGMA mmap_size` answers
  // 2147418112); pages past that are read with pread into the page cache, ~20 us of kernel time each on the project's
  // VMs the first time a connection reads them (docs/performance.md, the twenty-first VM).
  db.pragma('cache_size = -262144');
  db.pragma('mmap_size = 17179869184');
  db.pragma('temp_store = MEMORY');
  // Checkpoint the WAL every 2500 pages (~40 MB at 16 KiB) rather than the default 1000: hot index pages rewritten
  // by many commits are copied back to the database once per checkpoint, so fewer checkpoints write less.
  db.pragma('wal_autocheckpoint = 2500');
  return db;
}
