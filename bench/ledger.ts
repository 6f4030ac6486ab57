// `npm run bench:ledger`: proof latency on a large log (BENCH_LEDGER_EVENTS, default 10,000,000), beside a bare
// point read of one stored node measured in the same run.
//
// Building 10M real events takes ingest minutes, so the log is built directly in the store's own schema: every
// event row with a small leaf, its real leaf hash and every Merkle node, exactly as the writer stores them (no
// full-text rows: proofs never read them). Proofs then run through the same LedgerService and HTTP route as always.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openAnnals } from '../src/annals.js';
import { CompactRange } from '../src/ledger/compact-range.js';
import { leafHash } from '../src/ledger/hasher.js';
import { openDatabase } from '../src/store/sqlite/sqlite-connection.js';
import { MIGRATIONS } from '../src/store/sqlite/sqlite-schema.js';
import { proofFigures } from './proofs.js';
import { printTable } from './report.js';
import { spawnServer } from './server.js';

const N = Number(process.env.BENCH_LEDGER_EVENTS ?? 10_000_000);
const DIR = join(process.env.BENCH_DIR ?? '.bench', `ledger-${N}`);

function build(): void {
  if (existsSync(join(DIR, 'annals.db'))) return;
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const db = openDatabase(join(DIR, 'annals.db'), 'NORMAL');
  for (const m of MIGRATIONS) m.up(db);
  db.pragma(`user_version = ${MIGRATIONS.length}`);
  db.prepare("INSERT INTO orgs (id, name, created_ms) VALUES ('bench', 'bench', ?)").run(Date.now());
  // One event per millisecond: its time key is time_ms * 2^20.
  const event = db.prepare(`INSERT INTO events (rowid, org_no, seq, id, time_ms, processed_ms, action, actor_id, ip, outcome, day, body, leaf_hash)
    VALUES (? * 1048576, 1, ?, ?, ?, ?, 'jira_user_actions.viewed_jira_issue', ?, NULL, 0, ?, ?, ?)`);
  const node = db.prepare('INSERT INTO merkle_nodes (org_no, level, idx, hash) VALUES (1, ?, ?, ?)');
  const range = CompactRange.empty();
  const t0 = Date.now();
  const batch = db.transaction((from: number, to: number) => {
    for (let seq = from; seq < to; seq++) {
      const id = `00000000-0000-7000-8000-${seq.toString(16).padStart(12, '0')}`;
      const leaf = `{"action":"jira_user_actions.viewed_jira_issue","actor":{"id":"u-${seq % 300}"},"container":[],"context":[],"id":"${id}","org":"bench","outcome":"success","processedAt":"${new Date(t0 + seq).toISOString()}","seq":${seq},"time":"${new Date(t0 + seq).toISOString()}"}`;
      const hash = leafHash(leaf);
      event.run(t0 + seq, seq, id, t0 + seq, t0 + seq, `u-${seq % 300}`, Math.floor((t0 + seq) / 86_400_000), leaf, hash);
      range.append(hash, (nodeId, h) => { if (nodeId.level > 0) node.run(nodeId.level, nodeId.index, h); });
    }
  });
  for (let from = 0; from < N; from += 100_000) {
    batch(from, Math.min(N, from + 100_000));
    process.stderr.write(`\rbuilding a ${N}-event ledger: ${Math.min(N, from + 100_000)}`);
  }
  db.prepare('UPDATE orgs SET next_seq = ?, last_processed_ms = ?, frontier = ? WHERE no = 1')
    .run(N, t0 + N, Buffer.concat(range.hashes as Buffer[]));
  db.close();
  process.stderr.write('\n');
}

async function main(): Promise<void> {
  build();
  const annals = await openAnnals({ dataDir: DIR });
  const size = (await annals.ledger.cut('bench')).size;
  const token = (await annals.keys.create(null, 'bench', ['admin'])).token;
  const { url, child } = await spawnServer(DIR);
  try {
    printTable(`Annals ledger bench, ${size} events`, await proofFigures(annals, 'bench', size, { url, token }, 3000));
  } finally {
    child.kill('SIGTERM');
    await annals.close();
  }
}

await main();
