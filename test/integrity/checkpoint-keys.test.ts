// Which key a node signs with: every node must sign an org's log with a key the last checkpoint's signer holds
// too. A node whose keys/ is its own (not copied from the others, or lost) refuses to cut a checkpoint, naming the
// key it lacks, instead of signing part of the log with a key no auditor was given; a rotation on the node that holds
// the log's key goes on as before. The public halves of the keys that sign are kept in the store, so every node
// lists them (/v1/ledger/keys, export bundles), and a node whose keys are none of them cannot start a new org's log.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { type Annals, openAnnals } from '../../src/annals.js';
import { buildApp } from '../../src/api/app.js';
import { AnnalsError } from '../../src/domain/errors.js';
import { bundleLines } from '../../src/integrity/export-bundle.js';
import { noteSigners } from '../../src/ledger/checkpoint.js';
import { event } from '../support/annals.js';

const dir = mkdtempSync(join(tmpdir(), 'annals-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A node: its own data directory (and so its own keys/), the one database every node shares; closed after `body`. */
async function withNode(name: string, body: (annals: Annals) => Promise<void>): Promise<void> {
  const annals = await openAnnals({ dataDir: join(dir, name), databasePath: join(dir, 'shared.db'), synchronous: 'NORMAL' });
  try {
    await body(annals);
  } finally {
    await annals.close();
  }
}
const keyOf = (annals: Annals) => annals.ledger.keys.list().filter((k) => k.active).map((k) => `${k.name}+${k.keyId}`)[0];

/** Appends an event and cuts a checkpoint on `annals`; the keys its note names. */
async function cut(annals: Annals): Promise<string[]> {
  await annals.ingest.ingest('acme', [event()]);
  return noteSigners((await annals.ledger.cut('acme')).note);
}

test("a node without the log's key refuses to sign; with a copy of the keys it signs with the log's key", async () => {
  let logKey = '';
  await withNode('a', async (a) => {
    await a.store.createOrg({ id: 'acme', name: 'Acme' });
    logKey = keyOf(a);
    assert.deepEqual(await cut(a), [logKey]);
  });

  // Started with a keys/ of its own.
  await withNode('b', async (b) => {
    assert.notEqual(keyOf(b), logKey);
    await assert.rejects(cut(b), (error: unknown) => error instanceof AnnalsError && error.code === 'ANN_ERR_CHECKPOINT_KEY'
      && error.status === 503 && error.message.includes(`signed by ${logKey}`) && /a copy of a signing node/.test(error.message));
  });

  // Its keys/ replaced by a copy of the signing node's.
  rmSync(join(dir, 'b', 'keys'), { recursive: true });
  cpSync(join(dir, 'a', 'keys'), join(dir, 'b', 'keys'), { recursive: true });
  await withNode('b', async (b) => assert.deepEqual(await cut(b), [logKey]));

  // A rotation on a node that holds the log's key: its next checkpoint is signed with the new key...
  let rotated = '';
  await withNode('a', async (a) => {
    const info = await a.ledger.rotateKey();
    rotated = `${info.name}+${info.keyId}`;
    assert.deepEqual(await cut(a), [rotated]);
  });
  // ...and a node with only the old key stops signing until it has the new one too.
  await withNode('b', async (b) => {
    await assert.rejects(cut(b), (error: unknown) => error instanceof AnnalsError && error.code === 'ANN_ERR_CHECKPOINT_KEY');
  });
  cpSync(join(dir, 'a', 'keys'), join(dir, 'b', 'keys'), { recursive: true });
  await withNode('b', async (b) => assert.deepEqual(await cut(b), [rotated]));
});

/** What /v1/ledger/keys answers on `annals`. */
async function listed(annals: Annals): Promise<{ verifierKey: string; active: boolean; published: boolean }[]> {
  const app = await buildApp(annals);
  try {
    const res = await app.inject({ method: 'GET', url: '/v1/ledger/keys' });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().data;
  } finally {
    await app.close();
  }
}
const published = (keys: { verifierKey: string; published: boolean }[]) => keys.filter((k) => k.published).map((k) => k.verifierKey);

test('the keys that sign are published in the store: every node lists them, and a stray key cannot start a log', async () => {
  const shared = join(dir, 'published.db');
  const node = (name: string) => openAnnals({ dataDir: join(dir, `p-${name}`), databasePath: shared, synchronous: 'NORMAL' });
  const a = await node('a');
  const b = await node('b');
  try {
    const [aKey] = a.ledger.keys.list().map((k) => k.verifierKey);
    const [bKey] = b.ledger.keys.list().map((k) => k.verifierKey);
    // Nothing has signed yet: each node lists its own key, unpublished.
    assert.deepEqual(published(await listed(a)), []);
    await a.store.createOrg({ id: 'acme', name: 'Acme' });
    await cut(a);
    // The first checkpoint published A's key: B lists it too (not its own, so not active there), beside its own.
    assert.deepEqual(published(await listed(a)), [aKey]);
    const onB = await listed(b);
    assert.deepEqual(published(onB), [aKey]);
    assert.deepEqual(onB.map((k) => [k.verifierKey, k.active]).sort(), [[aKey, false], [bKey, true]].sort());
    // B's key is none of the published ones: it may not sign the first checkpoint of a new org either.
    await b.store.createOrg({ id: 'globex', name: 'Globex' });
    await b.ingest.ingest('globex', [event()]);
    await assert.rejects(b.ledger.cut('globex'), (error: unknown) => error instanceof AnnalsError
      && error.code === 'ANN_ERR_CHECKPOINT_KEY' && error.message.includes(`published keys are ${aKey.split('+', 2).join('+')}`));
    assert.deepEqual(published(await listed(b)), [aKey]);
    // A rotation on the node whose keys are published publishes the new key at once: B lists it before it signs.
    const rotated = (await a.ledger.rotateKey()).verifierKey;
    assert.deepEqual(published(await listed(b)), [aKey, rotated]);
    // A rotation on B (keys not published) is published by nothing until B may sign.
    const bRotated = (await b.ledger.rotateKey()).verifierKey;
    assert.deepEqual(published(await listed(a)), [aKey, rotated]);
    assert.ok((await listed(b)).some((k) => k.verifierKey === bRotated && k.active && !k.published));
    // An export made on B of a checkpoint A signed carries the key that signed it.
    await cut(a);
    const lines = bundleLines(b.store, b.ledger, 'acme', await b.ledger.latest('acme'));
    const header = JSON.parse((await lines.next()).value as string) as { keys: string[]; checkpoint: string };
    await lines.return(undefined);
    assert.deepEqual(noteSigners(header.checkpoint), [rotated.split('+', 2).join('+')]);
    assert.ok(header.keys.includes(rotated) && header.keys.includes(aKey), header.keys.join(' '));
  } finally {
    await a.close();
    await b.close();
  }
});

test("a store from before keys were published: the keys that signed its checkpoints are the log's", async () => {
  const shared = join(dir, 'upgraded.db');
  const node = (name: string) => openAnnals({ dataDir: join(dir, `u-${name}`), databasePath: shared, synchronous: 'NORMAL' });
  const a = await node('a');
  await a.store.createOrg({ id: 'acme', name: 'Acme' });
  await cut(a);
  const [aKey] = a.ledger.keys.list().map((k) => k.verifierKey);
  await a.close();
  // As a store of schema 3 would have it: checkpoints, and no published key.
  const db = new Database(shared);
  db.prepare('DELETE FROM checkpoint_keys').run();
  db.close();
  const b = await node('b');
  try {
    await b.store.createOrg({ id: 'initech', name: 'Initech' });
    await b.ingest.ingest('initech', [event()]);
    await assert.rejects(b.ledger.cut('initech'), (error: unknown) => error instanceof AnnalsError && error.code === 'ANN_ERR_CHECKPOINT_KEY'
      && error.message.includes(`checkpoints are signed by ${aKey.split('+', 2).join('+')}`));
    assert.deepEqual(published(await listed(b)), [], 'the stray key was not published');
  } finally {
    await b.close();
  }
  const again = await node('a');
  try {
    await again.ledger.cut('initech');
    assert.deepEqual(published(await listed(again)), [aKey]);
  } finally {
    await again.close();
  }
});

test('the scheduled cut goes on past an org this node may not sign', async () => {
  const shared = join(dir, 'schedule.db');
  const node = (name: string) => openAnnals({ dataDir: join(dir, `s-${name}`), databasePath: shared, synchronous: 'NORMAL' });
  const a = await node('a');
  for (const id of ['acme', 'zeta']) {
    await a.store.createOrg({ id, name: id });
    await a.ingest.ingest(id, [event()]);
    await a.ledger.cut(id);
  }
  await a.close();
  cpSync(join(dir, 's-a', 'keys'), join(dir, 's-b', 'keys'), { recursive: true });
  // A rotation on a, signing acme only: b, with the old key, may still sign zeta, not acme.
  const rotating = await node('a');
  await rotating.ledger.rotateKey();
  await cut(rotating);
  await rotating.close();
  const b = await node('b');
  try {
    await b.ingest.ingest('acme', [event()]);
    await b.ingest.ingest('zeta', [event()]);
    await assert.rejects(b.ledger.cutAll(), (error: unknown) => error instanceof AnnalsError && error.code === 'ANN_ERR_CHECKPOINT_KEY');
    assert.equal((await b.ledger.latest('zeta')).size, 2, 'zeta, after acme in the order, was cut all the same');
  } finally {
    await b.close();
  }
});
