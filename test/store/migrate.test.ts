// `annals migrate --from <sqlite file> --to <postgres url>`: a copy that is the same log (same roots, same
// answers, verifiable with the same keys), keeps what clients hold (API keys, cursors, idempotency keys) and
// resumes after it was killed.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { event } from '../support/annals.js';
import { MAIN } from '../support/serve.js';
import { createSchema, dropSchema, newSchema, postgresReachable, schemaUrl } from '../support/postgres.js';


const reachable = await postgresReachable();

interface Copied { org: string; events: number; copied: number; checkpoints: number; root: string; same: boolean }

describe('annals migrate: the embedded store into PostgreSQL', { skip: !reachable && 'PostgreSQL is not reachable' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'annals-migrate-'));
  const data = join(dir, 'data');
  const file = join(data, 'annals.db');
  const schema = newSchema();
  const url = schemaUrl(schema);

  const run = (args: string[], options: { env?: Record<string, string> } = {}) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...options.env } });
  /** The CLI on the embedded store, or (pg) on the copy. */
  const annals = (args: string[], on: 'sqlite' | 'pg' = 'sqlite') => {
    const r = run(['--data-dir', data, ...(on === 'pg' ? ['--database-url', url] : []), ...args]);
    assert.equal(r.status, 0, `annals ${args.join(' ')} (${on}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const migrate = (): Copied[] => {
    const r = run(['migrate', '--from', file, '--to', url, '--json']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    return JSON.parse(r.stdout) as Copied[];
  };
  const count = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return Number((await client.query('SELECT count(*) AS n FROM ledger')).rows[0].n);
    } catch {
      return 0; // not migrated yet
    } finally {
      await client.end();
    }
  };

  before(async () => {
    if (!reachable) return;
    await createSchema(schema);
    annals(['demo', '--org', 'acme', '--events', '30000', '--days', '20']);
    annals(['orgs', 'create', 'beta']);
    const events = [event({ idempotencyKey: 'retry-me' }), event(), event({ time: '2019-05-05T05:05:05.000Z' })];
    writeFileSync(join(dir, 'beta.ndjson'), events.map((e) => JSON.stringify(e)).join('\n'));
    annals(['ingest', '--org', 'beta', join(dir, 'beta.ndjson')]);
    annals(['ledger', 'checkpoint', '--org', 'acme']);
    annals(['ledger', 'checkpoint', '--org', 'beta']);
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (reachable) await dropSchema(schema);
  });

  test('killed part way, it resumes; the copy has the same roots, verifies, and answers the same', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'migrate', '--from', file, '--to', url, '--json'], { stdio: 'ignore' });
    let gone = false;
    const exited = new Promise((resolve) => child.once('exit', () => { gone = true; resolve(undefined); }));
    while (!gone && (await count()) < 2000) await new Promise((r) => setTimeout(r, 20));
    assert.ok(!gone, 'the copy was still running when it was to be killed');
    child.kill('SIGKILL');
    await exited;
    const partial = await count();
    assert.ok(partial > 0 && partial < 30_003, `killed part way (${partial} copied)`);

    const report = migrate();
    const acme = report.find((r) => r.org === 'acme')!;
    assert.deepEqual(report.map((r) => [r.org, r.events, r.same]), [['acme', 30_000, true], ['beta', 3, true]]);
    assert.equal(report.reduce((n, r) => n + r.copied, 0) + partial, 30_003, 'the second run copied only what was missing');
    assert.ok(acme.checkpoints >= 1);

    // Verified with the same keys (the data dir), checkpoints and all.
    annals(['verify', '--org', 'acme', '--deep'], 'pg');
    annals(['verify', '--org', 'beta', '--deep'], 'pg');
    // The same answers to the same questions.
    for (const args of [['--org', 'acme', '-q', 'outcome:failure', '--limit', '50'], ['--org', 'acme', '-q', 'category:"User management" -product:jira', '--limit', '20'],
      ['--org', 'acme', '-q', 'jira', '--from', '0', '--limit', '20'], ['--org', 'beta', '--from', '0', '--limit', '10']]) {
      const want = annals(['query', ...args, '--format', 'json']);
      assert.ok((JSON.parse(want) as unknown[]).length > 0, `${args.join(' ')} finds something`);
      assert.equal(annals(['query', ...args, '--format', 'json'], 'pg'), want, args.join(' '));
    }
    const keys = annals(['keys', 'list'], 'pg');
    assert.equal(keys, annals(['keys', 'list']), 'API keys (hashes and all) are the same');
    const signing = annals(['ledger', 'keys'], 'pg');
    assert.match(signing, /\tactive\tpublished\n$/);
    assert.equal(signing, annals(['ledger', 'keys']), 'the published checkpoint keys are the same');
  });

  test('run again it copies nothing; after new events, only those', async () => {
    assert.deepEqual(migrate().map((r) => r.copied), [0, 0]);
    writeFileSync(join(dir, 'more.ndjson'), [event(), event({ idempotencyKey: 'later' })].map((e) => JSON.stringify(e)).join('\n'));
    annals(['ingest', '--org', 'beta', join(dir, 'more.ndjson')]);
    const report = migrate();
    assert.deepEqual(report.map((r) => [r.org, r.copied, r.same]), [['acme', 0, true], ['beta', 2, true]]);
    // The idempotency keys came over with their fingerprints: the key reused for other content is refused.
    writeFileSync(join(dir, 'retry.ndjson'), JSON.stringify(event({ idempotencyKey: 'retry-me' })));
    const retried = run(['--data-dir', data, '--database-url', url, 'ingest', '--org', 'beta', join(dir, 'retry.ndjson')]);
    assert.notEqual(retried.status, 0, 'same key, other content: refused');
    assert.match(retried.stderr, /idempotency key 'retry-me' is also used by an event already stored/);
  });

  test('a target that is no longer a copy of the source is refused, and nothing more is written to it', async () => {
    // The copy takes an event of its own, and the source another.
    for (const [on, name] of [['pg', 'theirs'], ['sqlite', 'ours']] as const) {
      writeFileSync(join(dir, `${name}.ndjson`), JSON.stringify(event()));
      annals(['ingest', '--org', 'beta', join(dir, `${name}.ndjson`)], on);
    }
    const before = await count();
    const r = run(['migrate', '--from', file, '--to', url]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /the target's first 6 events of 'beta' are not the source's/);
    assert.equal(await count(), before);
  });
});
