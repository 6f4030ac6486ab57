import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openAnnals } from '../../src/annals.js';
import { buildApp } from '../../src/api/app.js';
import { fromEnvelope } from '../../src/integrity/export-bundle.js';
import { parseVerifierKey, verifierKey, verifyCheckpoint } from '../../src/ledger/checkpoint.js';
import { OriginMismatchError } from '../../src/ledger/errors.js';
import { leafHash } from '../../src/ledger/hasher.js';
import { leafText } from '../../src/ledger/leaf.js';
import { verifyConsistency, verifyInclusion } from '../../src/ledger/verify.js';
import { bearer, event } from '../support/annals.js';
import { serveAnnals } from '../support/serve.js';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');
let root: string;
/** A data dir with org acme (50 events, checkpoints at 30 and 50) and org globex; copied before each tampering. */
let pristine: string;
const ids: string[] = [];
let vkey: string;

function annals(dataDir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, '--data-dir', dataDir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function verifyJson(dataDir: string, ...extra: string[]) {
  const r = annals(dataDir, 'verify', '--org', 'acme', '--json', ...extra);
  return { code: r.code, report: JSON.parse(r.out) as { ok: boolean; findings: { kind: string; seq?: number; id?: string; detail: string }[] } };
}

/** A copy of the pristine store, changed behind Annals' back by `sql`. */
function tampered(name: string, change: (db: Database.Database) => void): string {
  const dir = join(root, name);
  cpSync(pristine, dir, { recursive: true });
  const db = new Database(join(dir, 'annals.db'));
  change(db);
  db.close();
  return dir;
}

/** Stores a copy of event `from` as the forged event 'forged-id' at `seq`, its body claiming that seq, its hash recorded. */
function forge(db: Database.Database, from: number, seq: number): void {
  const row = db.prepare('SELECT * FROM events WHERE seq = ?').safeIntegers(true).get(from) as Record<string, unknown>;
  const body = (row.body as string).replace(ids[from], 'forged-id').replace(`"seq":${from},`, `"seq":${seq},`);
  db.prepare(`INSERT INTO events (rowid, org_no, seq, id, time_ms, processed_ms, action, actor_id, ip, outcome, day, body, leaf_hash)
    VALUES ((SELECT max(rowid) + 1 FROM events), ?, ?, 'forged-id', ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(row.org_no, seq, row.time_ms,
    row.processed_ms, row.action, row.actor_id, row.ip, row.outcome, row.day, body, leafHash(body));
}

/** A forged event inserted at seq 25, the events from there on moved one place later (their bodies unchanged). */
function insertMid(db: Database.Database): void {
  db.exec('UPDATE events SET seq = -(seq + 1) WHERE seq >= 25; UPDATE events SET seq = -seq WHERE seq < 0');
  forge(db, 24, 25);
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'annals-ledger-'));
  pristine = join(root, 'pristine');
  const a = await openAnnals({ dataDir: pristine });
  await a.store.createOrg({ id: 'acme', name: 'acme' });
  await a.store.createOrg({ id: 'globex', name: 'globex' });
  for (let i = 0; i < 50; i++) {
    const [ack] = await a.ingest.ingest('acme', [event({ actor: { id: i % 2 ? 'u-ana' : 'u-bob', name: i % 2 ? 'Ana' : 'Bob' } })]);
    ids.push(ack.id);
    if (i === 29) await a.ledger.cut('acme');
  }
  await a.ledger.cut('acme');
  await a.ingest.ingest('globex', [event(), event()]);
  await a.ledger.cut('globex');
  vkey = a.ledger.keys.list()[0].verifierKey;
  await a.close();
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('annals verify against the store', () => {
  test('an untouched log verifies, exit 0', () => {
    const { code, report } = verifyJson(pristine);
    assert.equal(code, 0, JSON.stringify(report));
    assert.equal(report.ok, true);
    assert.match(annals(pristine, 'verify', '--org', 'acme').out, /^OK: 50 events and 2 checkpoints of acme$/m);
  });

  test("UPDATE of one event's actor: names that event", () => {
    const dir = tampered('update', (db) => db.prepare("UPDATE events SET body = replace(body, '\"u-ana\"', '\"u-eve\"') WHERE seq = 7").run());
    const { code, report } = verifyJson(dir);
    assert.equal(code, 1);
    assert.equal(report.findings[0].kind, 'modified');
    assert.equal(report.findings[0].seq, 7);
    assert.equal(report.findings[0].id, ids[7]);
    assert.ok(report.findings.every((f) => f.seq === undefined || f.seq === 7), JSON.stringify(report.findings));
  });

  test('DELETE of one event: names its place', () => {
    const dir = tampered('delete', (db) => db.prepare('DELETE FROM events WHERE seq = 12').run());
    const { code, report } = verifyJson(dir);
    assert.equal(code, 1);
    assert.equal(report.findings[0].kind, 'deleted');
    assert.equal(report.findings[0].seq, 12);
    assert.match(report.findings[0].detail, new RegExp(ids[13]));
  });

  test('INSERT of a forged event after the last one: names it', () => {
    const dir = tampered('insert', (db) => {
      // Time keys exceed 2^53: read them as BigInt.
      const row = db.prepare('SELECT * FROM events WHERE seq = 49').safeIntegers(true).get() as Record<string, unknown>;
      db.prepare(`INSERT INTO events (rowid, org_no, seq, id, time_ms, processed_ms, action, actor_id, ip, outcome, day, body, leaf_hash)
        VALUES (? + 1, ?, 50, 'forged-id', ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(row.rowid, row.org_no, row.time_ms,
        row.processed_ms, row.action, row.actor_id, row.ip, row.outcome, row.day, row.body, row.leaf_hash);
    });
    const { code, report } = verifyJson(dir);
    assert.equal(code, 1);
    const found = report.findings.find((f) => f.kind === 'inserted');
    assert.equal(found?.id, 'forged-id');
    assert.equal(found?.seq, 50);
  });

  test('a forged event inserted mid-log, the later ones moved up a place: names it, and the move as one', () => {
    const dir = tampered('insert-mid', insertMid);
    const { code, report } = verifyJson(dir);
    assert.equal(code, 1);
    assert.deepEqual(report.findings.map((f) => [f.kind, f.seq, f.id]), [['inserted', 25, 'forged-id'], ['reordered', 26, undefined]], JSON.stringify(report.findings));
    assert.match(report.findings[1].detail, /the 25 events stored at seq 26 to 50 hold the content of seq 25 to 49: they were moved one place later/);
  });

  test('an insert that pushes the last event out of the log does not hide that it is gone', () => {
    const dir = tampered('insert-mid-drop', (db) => {
      db.exec('DELETE FROM events WHERE seq = 49');
      insertMid(db);
    });
    const { code, report } = verifyJson(dir);
    assert.equal(code, 1);
    assert.deepEqual(report.findings.map((f) => [f.kind, f.seq, f.id]), [['inserted', 25, 'forged-id'], ['reordered', 26, undefined], ['deleted', 49, undefined]], JSON.stringify(report.findings));
  });

  test('an event deleted mid-log, the later ones moved down to close the gap: names the gap and the move', () => {
    const dir = tampered('delete-mid', (db) => db.exec('DELETE FROM events WHERE seq = 12; UPDATE events SET seq = -(seq - 1) WHERE seq > 12; UPDATE events SET seq = -seq WHERE seq < 0'));
    const { code, report } = verifyJson(dir);
    assert.equal(code, 1);
    assert.deepEqual(report.findings.map((f) => [f.kind, f.seq]), [['deleted', 12], ['reordered', 12]], JSON.stringify(report.findings));
    assert.match(report.findings[0].detail, /the event of seq 12 was deleted behind Annals' back, and the 37 after it moved one place earlier/);
    assert.match(report.findings[1].detail, /the 37 events stored at seq 12 to 48 hold the content of seq 13 to 49/);
  });

  test('two blocks of events swapped: two moves, nothing inserted or deleted', () => {
    const dir = tampered('block-swap', (db) => db.exec('UPDATE events SET seq = CASE WHEN seq < 15 THEN -(seq + 5) ELSE -(seq - 5) END WHERE seq BETWEEN 10 AND 19; UPDATE events SET seq = -seq WHERE seq < 0'));
    const { code, report } = verifyJson(dir);
    assert.equal(code, 1);
    assert.deepEqual(report.findings.map((f) => [f.kind, f.seq]), [['reordered', 10], ['reordered', 15]], JSON.stringify(report.findings));
  });

  test('one event moved far, the others shifted to make room: the event and the shift, nothing inserted or deleted', () => {
    // Event 40 put at seq 10, events 10 to 39 moved up a place; then the reverse, event 10 put at seq 40.
    const up = tampered('move-up', (db) => db.exec('UPDATE events SET seq = CASE WHEN seq = 40 THEN -10 ELSE -(seq + 1) END WHERE seq BETWEEN 10 AND 40; UPDATE events SET seq = -seq WHERE seq < 0'));
    const a = verifyJson(up);
    assert.equal(a.code, 1);
    assert.deepEqual(a.report.findings.map((f) => [f.kind, f.seq, f.id]), [['reordered', 10, ids[40]], ['reordered', 11, undefined]], JSON.stringify(a.report.findings));
    const down = tampered('move-down', (db) => db.exec('UPDATE events SET seq = CASE WHEN seq = 10 THEN -40 ELSE -(seq - 1) END WHERE seq BETWEEN 10 AND 40; UPDATE events SET seq = -seq WHERE seq < 0'));
    const b = verifyJson(down);
    assert.equal(b.code, 1);
    assert.deepEqual(b.report.findings.map((f) => [f.kind, f.seq, f.id]), [['reordered', 10, undefined], ['reordered', 40, ids[10]]], JSON.stringify(b.report.findings));
  });

  test("the log's recorded size raised to cover a forged event at its end: no crash, the mismatch is named", () => {
    const dir = tampered('insert-counted', (db) => {
      forge(db, 49, 50);
      db.prepare("UPDATE orgs SET next_seq = 51 WHERE id = 'acme'").run();
    });
    const { code, report } = verifyJson(dir);
    assert.equal(code, 1);
    assert.deepEqual(report.findings.map((f) => f.kind), ['root'], JSON.stringify(report.findings));
    assert.match(report.findings[0].detail, /cannot be one of 51 events: the log's size was changed behind its back; events from seq 50 on are signed by no checkpoint/);
  });

  test('the last events deleted and the recorded size lowered: the signed checkpoint names what is gone', () => {
    const dir = tampered('delete-counted', (db) => db.exec("DELETE FROM events WHERE seq >= 48; UPDATE orgs SET next_seq = 48 WHERE id = 'acme'"));
    const { code, report } = verifyJson(dir);
    assert.equal(code, 1);
    const gone = report.findings.find((f) => f.kind === 'deleted');
    assert.equal(gone?.seq, 48, JSON.stringify(report.findings));
    assert.match(gone!.detail, /events seq 48 to 49 were removed/);
  });

  test('two events swapped: names both', () => {
    const dir = tampered('swap', (db) => {
      const get = db.prepare('SELECT body, leaf_hash FROM events WHERE seq = ?');
      const [a, b] = [get.get(3), get.get(9)] as { body: string; leaf_hash: Buffer }[];
      const set = db.prepare('UPDATE events SET body = ?, leaf_hash = ? WHERE seq = ?');
      set.run(b.body, b.leaf_hash, 3);
      set.run(a.body, a.leaf_hash, 9);
    });
    const { code, report } = verifyJson(dir);
    assert.equal(code, 1);
    assert.deepEqual(report.findings.map((f) => [f.kind, f.seq, f.id]), [['reordered', 3, ids[3]], ['reordered', 9, ids[9]]]);
  });

  test('an event rewritten together with its recorded hash: found through the stored tree, with --deep too', () => {
    const dir = tampered('rehash', (db) => {
      const row = db.prepare('SELECT body FROM events WHERE seq = 20').get() as { body: string };
      const body = row.body.replace('"u-bob"', '"u-eve"');
      db.prepare('UPDATE events SET body = ?, leaf_hash = ? WHERE seq = 20').run(body, leafHash(body));
    });
    for (const extra of [[], ['--deep']]) {
      const { code, report } = verifyJson(dir, ...extra);
      assert.equal(code, 1);
      assert.ok(report.findings.some((f) => f.kind === 'modified' && f.seq === 20 && f.id === ids[20]), JSON.stringify(report.findings));
      // The stored nodes above it are the true ones: not blamed.
      assert.ok(!report.findings.some((f) => f.kind === 'node'), JSON.stringify(report.findings));
    }
  });

  test('an event past the last checkpoint rewritten with its recorded hash: the recorded root names it, not the nodes', async () => {
    const dir = join(root, 'rehash-unsigned');
    cpSync(pristine, dir, { recursive: true });
    const a = await openAnnals({ dataDir: dir, synchronous: 'NORMAL' });
    await a.ingest.ingest('acme', [event(), event(), event(), event(), event(), event()]);
    await a.close();
    const db = new Database(join(dir, 'annals.db'));
    const row = db.prepare('SELECT body FROM events WHERE seq = 53').get() as { body: string };
    const body = row.body.replace('"u-', '"u-eve-');
    db.prepare('UPDATE events SET body = ?, leaf_hash = ? WHERE seq = 53').run(body, leafHash(body));
    db.close();
    assert.deepEqual(verifyJson(dir).report.findings.map((f) => f.kind), ['root']);
    // --deep also finds the actor's search copies and counts disagreeing with the rewritten body; no node is blamed.
    const deep = verifyJson(dir, '--deep').report.findings;
    assert.ok(deep.some((f) => f.kind === 'root') && !deep.some((f) => f.kind === 'node'), JSON.stringify(deep));
  });

  test('a stored interior Merkle node altered or removed: the events are intact, and --deep names the node', () => {
    const altered = tampered('node', (db) => db.prepare('UPDATE merkle_nodes SET hash = zeroblob(32) WHERE org_no = 1 AND level = 1 AND idx = 10').run());
    assert.equal(verifyJson(altered).code, 0, 'the events and checkpoints are intact');
    const deep = verifyJson(altered, '--deep');
    assert.equal(deep.code, 1);
    assert.deepEqual(deep.report.findings.map((f) => [f.kind, f.seq]), [['node', 20]]);
    assert.match(deep.report.findings[0].detail, /level 1, index 10 is not the hash of events seq 20 to 21/);
    // The top of the tree: a node no stored node is the parent of (50 events: subtrees of 32, 16 and 2).
    const top = tampered('node-top', (db) => db.prepare('UPDATE merkle_nodes SET hash = zeroblob(32) WHERE org_no = 1 AND level = 4 AND idx = 2').run());
    // (The consistency proof between the two checkpoints passes through it: that fails too.)
    const atTop = verifyJson(top, '--deep').report.findings;
    assert.deepEqual(atTop.filter((f) => f.kind !== 'checkpoint').map((f) => [f.kind, f.seq]), [['node', 32]], JSON.stringify(atTop));
    const removed = tampered('node-gone', (db) => db.prepare('DELETE FROM merkle_nodes WHERE org_no = 1 AND level = 3 AND idx = 2').run());
    const gone = verifyJson(removed, '--deep');
    assert.equal(gone.code, 1);
    // (The consistency proof between the two checkpoints passes through it too.)
    assert.ok(gone.report.findings.some((f) => f.kind === 'node' && /level 3, index 2\) of 'acme' is missing/.test(f.detail)), JSON.stringify(gone.report.findings));
  });

  test('--deep checks the nodes above a verification chunk too (a log of more than 2^15 events)', async () => {
    const dir = join(root, 'upper');
    const a = await openAnnals({ dataDir: dir, synchronous: 'NORMAL' });
    await a.store.createOrg({ id: 'acme', name: 'acme' });
    for (let n = 0; n < 2 ** 15 + 100; n += 1000) await a.ingest.ingest('acme', Array.from({ length: Math.min(1000, 2 ** 15 + 100 - n) }, () => event()));
    await a.ledger.cut('acme');
    await a.close();
    const db = new Database(join(dir, 'annals.db'));
    db.prepare('UPDATE merkle_nodes SET hash = zeroblob(32) WHERE org_no = 1 AND level = 15 AND idx = 0').run();
    db.close();
    assert.equal(verifyJson(dir).code, 0);
    const deep = verifyJson(dir, '--deep');
    assert.equal(deep.code, 1);
    assert.deepEqual(deep.report.findings.map((f) => [f.kind, f.seq]), [['node', 0]]);
    assert.match(deep.report.findings[0].detail, /level 15, index 0 is not the hash of events seq 0 to 32767/);
  });

  test("values that do not pack (a recorded hash cut short, a comma in a row's id): each names only its event", () => {
    // Verification reads leaves in packed runs; rows like these make the store read their run row by row.
    for (const [name, sql, kind] of [
      ['short-hash', "UPDATE events SET leaf_hash = x'00' WHERE seq = 5", 'modified'],
      ['long-hash', "UPDATE events SET leaf_hash = leaf_hash || x'00' WHERE seq = 8", 'modified'],
      ['comma-id', "UPDATE events SET id = id || ',x' WHERE seq = 11", 'reordered'],
    ] as const) {
      const { code, report } = verifyJson(tampered(name, (db) => db.prepare(sql).run()));
      const seq = Number(/seq = (\d+)/.exec(sql)![1]);
      assert.equal(code, 1, name);
      assert.deepEqual(report.findings.filter((f) => f.seq !== undefined).map((f) => [f.kind, f.seq]), [[kind, seq]], `${name}: ${JSON.stringify(report.findings)}`);
    }
  });

  test('--deep: an altered search index copy (actor_id) is named', () => {
    const dir = tampered('index', (db) => db.prepare("UPDATE events SET actor_id = 'u-nobody' WHERE seq = 11").run());
    assert.equal(verifyJson(dir).code, 0, 'the ledger itself is intact');
    const { code, report } = verifyJson(dir, '--deep');
    assert.equal(code, 1);
    // (Its entity rows' copies, unaltered, now differ from the event's too: each is named, all for that event.)
    assert.deepEqual([...new Set(report.findings.map((f) => JSON.stringify([f.kind, f.seq, f.id])))], [JSON.stringify(['modified', 11, ids[11]])]);
    assert.ok(report.findings.some((f) => /actor 'u-nobody'/.test(f.detail)), JSON.stringify(report.findings));
    assert.equal(verifyJson(pristine, '--deep').code, 0);
  });

  test('--deep: an entity row removed (hiding the event from entity searches), or a count changed, is named', () => {
    const dir = tampered('entities', (db) => {
      db.prepare("DELETE FROM event_entities WHERE id = 'g-1' AND k = (SELECT rowid FROM events WHERE seq = 23)").run();
      db.prepare("UPDATE rollups SET n = n + 5 WHERE dim = 0 AND grain = 1").run();
      db.prepare("INSERT INTO rollups (org_no, dim, grain, bucket, value, n) VALUES (1, 1, 0, 0, 'phantom.action', 3)").run();
      db.prepare('UPDATE events SET day = day - 3 WHERE seq = 31').run();
      // A copy the entity rows hold for facets, changed in one row (a country's case counts as a change).
      db.prepare("UPDATE event_entities SET action = 'forged.action' WHERE id = 'site-1' AND k = (SELECT rowid FROM events WHERE seq = 17)").run();
      db.prepare("UPDATE event_entities SET country = upper(country) WHERE id = 'u-bob' AND k = (SELECT rowid FROM events WHERE seq = 19)").run();
    });
    assert.equal(verifyJson(dir).code, 0, 'the ledger itself is intact');
    const { code, report } = verifyJson(dir, '--deep');
    assert.equal(code, 1);
    const entity = report.findings.find((f) => f.seq === 23);
    assert.deepEqual([entity?.kind, entity?.id], ['modified', ids[23]]);
    assert.match(entity!.detail, /lost context 'g-1'/);
    assert.ok(report.findings.some((f) => f.seq === 31 && /filed under another time/.test(f.detail)), JSON.stringify(report.findings));
    for (const [seq, entity] of [[17, 'site-1'], [19, 'u-bob']] as const) {
      const copy = report.findings.filter((f) => /other copies of the event's columns/.test(f.detail) && f.seq === seq);
      assert.deepEqual(copy.map((f) => [f.kind, f.id, f.detail.includes(`'${entity}'`)]), [['modified', ids[seq], true]], JSON.stringify(report.findings));
    }
    assert.ok(report.findings.some((f) => /daily count/.test(f.detail)), JSON.stringify(report.findings));
    assert.ok(report.findings.some((f) => /phantom\.action.*no such events/.test(f.detail)), 'a count of nothing at all');
  });

  test('checkpoints signed by another key are refused', () => {
    const other = verifierKey('annals.local', generateKeyPairSync('ed25519').publicKey);
    const { code, report } = verifyJson(pristine, '--key', other);
    assert.equal(code, 1);
    assert.ok(report.findings.length >= 2 && report.findings.every((f) => f.kind === 'checkpoint'), JSON.stringify(report.findings));
  });

  test("another org's checkpoint is refused", () => {
    const db = new Database(join(pristine, 'annals.db'), { readonly: true });
    const note = (db.prepare('SELECT note FROM checkpoints WHERE org_no = 2').get() as { note: string }).note;
    db.close();
    const verifier = parseVerifierKey(vkey);
    assert.equal(verifyCheckpoint(note, [verifier]).origin, 'annals.local/orgs/globex');
    assert.throws(() => verifyCheckpoint(note, [verifier], 'annals.local/orgs/acme'), OriginMismatchError);
    const dir = tampered('foreign', (d) => {
      d.prepare('UPDATE checkpoints SET note = ? WHERE org_no = 1 AND size = 30').run(note);
    });
    const { code, report } = verifyJson(dir);
    assert.equal(code, 1);
    assert.ok(report.findings.some((f) => f.kind === 'checkpoint' && /origin/i.test(f.detail)), JSON.stringify(report.findings));
  });
});

describe('offline: an export, a checkpoint and the public key', () => {
  let bundle: string;
  let lines: string[];

  before(() => {
    bundle = join(root, 'acme.ndjson');
    const r = annals(pristine, 'export', '--org', 'acme', '--out', bundle);
    assert.equal(r.code, 0, r.err);
    lines = readFileSync(bundle, 'utf8').trimEnd().split('\n');
  });

  const write = (name: string, content: string[]) => {
    const file = join(root, name);
    writeFileSync(file, `${content.join('\n')}\n`);
    return file;
  };
  const check = (file: string, ...extra: string[]) => {
    const r = annals(pristine, 'verify', '--export', file, '--key', vkey, '--json', ...extra);
    return { code: r.code, report: JSON.parse(r.out) as { ok: boolean; findings: { kind: string; seq?: number; id?: string }[] } };
  };

  test('the bundle proves it is exactly the log up to its checkpoint', () => {
    assert.equal(lines.length, 1 + 50 + 1);
    const { code, report } = check(bundle);
    assert.equal(code, 0, JSON.stringify(report));
  });

  test('a modified event is named', () => {
    const changed = [...lines];
    changed[1 + 17] = changed[1 + 17].replace('"Bob"', '"Mallory"').replace('"Ana"', '"Mallory"');
    const { code, report } = check(write('modified.ndjson', changed));
    assert.equal(code, 1);
    assert.deepEqual(report.findings.map((f) => [f.kind, f.seq, f.id]), [['modified', 17, ids[17]]]);
  });

  test('a deleted event is named', () => {
    const { code, report } = check(write('deleted.ndjson', lines.filter((_, i) => i !== 1 + 33)));
    assert.equal(code, 1);
    assert.deepEqual(report.findings.map((f) => [f.kind, f.seq]), [['deleted', 33]]);
  });

  test('an inserted event is named', () => {
    const forged = lines[1 + 5].replace(ids[5], 'forged-id');
    const { code, report } = check(write('inserted.ndjson', [...lines.slice(0, 9), forged, ...lines.slice(9)]));
    assert.equal(code, 1);
    assert.ok(report.findings.some((f) => f.kind === 'inserted' && f.id === 'forged-id'), JSON.stringify(report.findings));
  });

  test('a forged event put before the one whose seq it claims: the forged one is named, not the genuine', () => {
    const forged = lines[1 + 5].replace(ids[5], 'forged-id').replace('"Bob"', '"Mallory"').replace('"Ana"', '"Mallory"');
    const { code, report } = check(write('inserted-before.ndjson', [...lines.slice(0, 1 + 5), forged, ...lines.slice(1 + 5)]));
    assert.equal(code, 1);
    assert.deepEqual(report.findings.map((f) => [f.kind, f.seq, f.id]), [['inserted', 5, 'forged-id']], JSON.stringify(report.findings));
  });

  test('reordered events are named', () => {
    const swapped = [...lines];
    [swapped[1 + 10], swapped[1 + 40]] = [swapped[1 + 40], swapped[1 + 10]];
    const { code, report } = check(write('reordered.ndjson', swapped));
    assert.equal(code, 1);
    assert.deepEqual(report.findings.map((f) => [f.kind, f.seq]).sort(), [['reordered', 10], ['reordered', 40]]);
  });

  test('without a trusted key, a bundle is never reported verified', () => {
    const r = annals(pristine, 'verify', '--export', bundle);
    assert.equal(r.code, 1);
    assert.match(r.out, /no trusted key/);
  });

  test('an export of another org is refused when the org is named', () => {
    const r = annals(pristine, 'verify', '--export', bundle, '--key', vkey, '--org', 'globex');
    assert.equal(r.code, 1);
    assert.match(r.out, /not for organization 'globex'/);
    assert.equal(annals(pristine, 'verify', '--export', bundle, '--key', vkey, '--org', 'acme').code, 0);
  });

  test('a plain NDJSON export with a separate checkpoint and key verifies; another key does not', () => {
    const header = JSON.parse(lines[0]) as { checkpoint: string };
    const checkpoint = join(root, 'checkpoint.txt');
    writeFileSync(checkpoint, header.checkpoint);
    const plain = write('plain.ndjson', lines.slice(1, 51));
    assert.equal(check(plain, '--checkpoint', checkpoint).code, 0);
    const other = verifierKey('annals.local', generateKeyPairSync('ed25519').publicKey);
    const r = annals(pristine, 'verify', '--export', plain, '--checkpoint', checkpoint, '--key', other);
    assert.equal(r.code, 1);
    assert.match(r.out, /does not verify/);
  });
});

describe('proofs over HTTP', () => {
  test('checkpoints, inclusion and consistency proofs verify with the published key; one event verifies offline', async () => {
    const dir = join(root, 'http');
    cpSync(pristine, dir, { recursive: true });
    const a = await openAnnals({ dataDir: dir });
    const app = await buildApp(a);
    try {
      const token = (await a.keys.create('acme', 'auditor', ['read:events'])).token;
      const get = async (url: string) => {
        const res = await app.inject({ method: 'GET', url, headers: bearer(token) });
        assert.equal(res.statusCode, 200, res.body);
        return res.json().data;
      };
      const keys = (await app.inject({ method: 'GET', url: '/v1/ledger/keys' })).json().data;
      assert.equal(keys[0].verifierKey, vkey);
      const verifier = parseVerifierKey(vkey);
      const latest = await get('/v1/orgs/acme/checkpoints/latest');
      const signed = verifyCheckpoint(latest.note, [verifier], 'annals.local/orgs/acme');
      assert.equal(signed.size, 50);
      const first = await get('/v1/orgs/acme/checkpoints/30');
      const consistency = await get('/v1/orgs/acme/proofs/consistency?from=30&to=50');
      verifyConsistency(30, 50, consistency.hashes.map((h: string) => Buffer.from(h, 'base64')),
        Buffer.from(first.rootHash, 'base64'), Buffer.from(latest.rootHash, 'base64'));

      const envelope = await get(`/v1/orgs/acme/events/${ids[21]}`);
      const proof = await get(`/v1/orgs/acme/proofs/inclusion?eventId=${ids[21]}`);
      assert.equal(proof.leafIndex, 21);
      assert.equal(proof.treeSize, 50);
      const leaf = leafHash(leafText(fromEnvelope(envelope)));
      verifyInclusion(21, 50, leaf, proof.hashes.map((h: string) => Buffer.from(h, 'base64')), signed.rootHash);

      // The same check through the CLI, offline, from the two files an auditor would keep.
      const eventFile = join(root, 'event.json');
      const proofFile = join(root, 'proof.json');
      writeFileSync(eventFile, JSON.stringify({ data: envelope }));
      writeFileSync(proofFile, JSON.stringify({ data: proof }));
      const ok = annals(dir, 'verify', '--event', eventFile, '--proof', proofFile, '--key', vkey);
      assert.equal(ok.code, 0, ok.out + ok.err);
      assert.match(ok.out, /is leaf 21 of the signed tree of 50 events/);
      envelope.attributes.actor.id = 'u-eve';
      writeFileSync(eventFile, JSON.stringify({ data: envelope }));
      const bad = annals(dir, 'verify', '--event', eventFile, '--proof', proofFile, '--key', vkey);
      assert.equal(bad.code, 1);
      assert.match(bad.out, /^FAILED/m);

      // Cutting a checkpoint on demand needs more than a read key.
      const cut = await app.inject({ method: 'POST', url: '/v1/orgs/acme/checkpoints', headers: bearer(token) });
      assert.equal(cut.statusCode, 403);
      // New events are covered by a fresh checkpoint on demand.
      const writer = (await a.keys.create('acme', 'w', ['write:events'])).token;
      const posted = await app.inject({ method: 'POST', url: '/v1/orgs/acme/events', payload: event(), headers: bearer(writer) });
      const newId = posted.json().data[0].id;
      const fresh = await get(`/v1/orgs/acme/proofs/inclusion?eventId=${newId}`);
      assert.equal(fresh.treeSize, 51);
      const beyond = await app.inject({ method: 'GET', url: '/v1/orgs/acme/proofs/inclusion?index=60&treeSize=50', headers: bearer(token) });
      assert.equal(beyond.statusCode, 400);
      const uncut = await app.inject({ method: 'GET', url: '/v1/orgs/acme/proofs/inclusion?index=1&treeSize=41', headers: bearer(token) });
      assert.equal(uncut.json().code, 'ANN_ERR_CHECKPOINT_NOT_FOUND');
      const outOfRange = await app.inject({ method: 'GET', url: '/v1/orgs/acme/proofs/consistency?from=10&to=900', headers: bearer(token) });
      assert.equal(outOfRange.statusCode, 400);
      assert.equal(outOfRange.json().code, 'ANN_ERR_PROOF_RANGE');
    } finally {
      await app.close();
      await a.close();
    }
  });
});

describe('signing keys and scheduled checkpoints', () => {
  test('keys are private files (0600 in a 0700 directory); after a rotation the new key signs and what the old one signed still verifies', async () => {
    const dir = join(root, 'rotation');
    cpSync(pristine, dir, { recursive: true });
    const keysDir = join(dir, 'keys');
    assert.equal(statSync(keysDir).mode & 0o777, 0o700);
    const [first] = readdirSync(keysDir);
    assert.equal(statSync(join(keysDir, first)).mode & 0o777, 0o600);

    const rotated = annals(dir, 'ledger', 'rotate-key');
    assert.equal(rotated.code, 0, rotated.err);
    const newKey = rotated.out.trim();
    assert.notEqual(newKey, vkey);
    assert.ok(parseVerifierKey(newKey));
    for (const file of readdirSync(keysDir)) assert.equal(statSync(join(keysDir, file)).mode & 0o777, 0o600, file);
    const listed = annals(dir, 'ledger', 'keys').out.trim().split('\n').map((line) => line.split('\t'));
    // The old key signed checkpoints, so it was published; so the new one is at once (see checkpoint-keys.test.ts).
    assert.deepEqual(listed.map(([key, , state, published]) => [key, state, published]), [[vkey, 'retired', 'published'], [newKey, 'active', 'published']]);

    // A checkpoint cut now is signed by the new key alone; the earlier ones (30, 50) by the old key.
    const a = await openAnnals({ dataDir: dir });
    await a.ingest.ingest('globex', [event()]);
    await a.close();
    const note = annals(dir, 'ledger', 'checkpoint', '--org', 'globex');
    assert.equal(note.code, 0, note.err);
    assert.equal(verifyCheckpoint(note.out, [parseVerifierKey(newKey)], 'annals.local/orgs/globex').size, 3);
    assert.throws(() => verifyCheckpoint(note.out, [parseVerifierKey(vkey)], 'annals.local/orgs/globex'));
    const old = annals(dir, 'verify', '--org', 'acme', '--json');
    assert.equal(old.code, 0, old.out + old.err);
    assert.equal(JSON.parse(old.out).ok, true);
    // With only the old key's file gone, its checkpoints no longer verify: the check above is not vacuous.
    rmSync(join(keysDir, first));
    const orphaned = verifyJson(dir);
    assert.equal(orphaned.code, 1);
    assert.ok(orphaned.report.findings.some((f) => f.kind === 'checkpoint'), JSON.stringify(orphaned.report.findings));
  });

  test('the server cuts a checkpoint on its schedule for every org whose log grew', async () => {
    const dir = join(root, 'scheduled');
    cpSync(pristine, dir, { recursive: true });
    const a = await openAnnals({ dataDir: dir });
    const token = (await a.keys.create(null, 'test', ['admin'])).token;
    await a.ingest.ingest('acme', [event(), event(), event()]);
    await a.ingest.ingest('globex', [event()]);
    await a.close();
    const served = await serveAnnals(['--data-dir', dir], { env: { ...process.env, ANNALS_CHECKPOINT_SECONDS: '0.2' } });
    try {
      const latest = async (org: string) => {
        const res = await fetch(`${served.url}/v1/orgs/${org}/checkpoints/latest`, { headers: bearer(token) });
        return ((await res.json()) as { data: { size: number; note: string } }).data;
      };
      const deadline = Date.now() + 10_000;
      while ((await latest('acme')).size !== 53 || (await latest('globex')).size !== 3) {
        assert.ok(Date.now() < deadline, 'no scheduled checkpoint within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const signed = verifyCheckpoint((await latest('acme')).note, [parseVerifierKey(vkey)], 'annals.local/orgs/acme');
      assert.equal(signed.size, 53);
      // A log that did not grow gets no new checkpoint.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const list = await fetch(`${served.url}/v1/orgs/globex/checkpoints`, { headers: bearer(token) });
      assert.deepEqual(((await list.json()) as { data: { size: number }[] }).data.map((c) => c.size), [2, 3]);
    } finally {
      served.child.kill('SIGTERM');
    }
  });
});
