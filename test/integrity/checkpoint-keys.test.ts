// Which key a node signs with: every node must sign an org's log with a key the last checkpoint's signer holds
// too. A node whose keys/ is its own (not copied from the others, or lost) refuses to cut a checkpoint, naming the
// key it lacks, instead of signing part of the log with a key no auditor was given; a rotation on the node that holds
// the log's key goes on as before.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type Annals, openAnnals } from '../../src/annals.js';
import { AnnalsError } from '../../src/domain/errors.js';
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
      && error.status === 503 && error.message.includes(`signed by ${logKey}`) && /a copy of that node/.test(error.message));
  });

  // Its keys/ replaced by a copy of the signing node's.
  rmSync(join(dir, 'b', 'keys'), { recursive: true });
  cpSync(join(dir, 'a', 'keys'), join(dir, 'b', 'keys'), { recursive: true });
  await withNode('b', async (b) => assert.deepEqual(await cut(b), [logKey]));

  // A rotation on a node that holds the log's key: its next checkpoint is signed with the new key...
  let rotated = '';
  await withNode('a', async (a) => {
    const info = a.ledger.keys.rotate();
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
