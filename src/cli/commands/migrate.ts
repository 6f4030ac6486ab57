// `annals migrate`: copies an embedded store into PostgreSQL (see store/copy-store.ts), with a progress bar;
// running it again resumes where it stopped. Exit status 0 only when every org's tree came out the same.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { openStore } from '../../annals.js';
import { AnnalsError } from '../../domain/errors.js';
import { copyStore } from '../../store/copy-store.js';
import { type Progress, progress } from '../progress.js';

interface MigrateOptions {
  from: string;
  to: string;
  json?: boolean;
}

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('copy an embedded store (its annals.db) into a PostgreSQL database, resumably, and check that every org\'s ledger has the same root there')
    .requiredOption('--from <file>', 'the SQLite file of the embedded store (e.g. annals-data/annals.db)')
    .requiredOption('--to <url>', 'the PostgreSQL database (postgres://…; a schema can be given as ?options=-c%20search_path%3D<schema>)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: MigrateOptions) => {
      if (!existsSync(opts.from)) throw new AnnalsError('ANN_ERR_REQUEST_INVALID', `--from: there is no file ${opts.from}`, { parameter: 'from' });
      if (!/^postgres(ql)?:\/\//.test(opts.to)) throw new AnnalsError('ANN_ERR_REQUEST_INVALID', '--to must be a postgres:// URL', { parameter: 'to' });
      const dataDir = dirname(opts.from);
      const source = openStore({ dataDir, databasePath: opts.from }, { writer: 'inline' });
      const target = openStore({ dataDir, databaseUrl: opts.to });
      let bar: Progress | undefined;
      try {
        const report = await copyStore(source, target, {
          startOrg(org, total, present) {
            bar?.stop();
            bar = progress(`migrate ${org}`, total - present);
          },
          progress(_org, copied) {
            bar?.increment(copied);
          },
        });
        bar?.stop();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          for (const r of report) {
            process.stdout.write(`${r.same ? 'ok  ' : 'FAIL'} ${r.org}: ${r.events} events (${r.copied} copied by this run), ${r.checkpoints} checkpoints copied, root ${r.root}${r.same ? '' : ': the target\'s tree differs'}\n`);
          }
          process.stdout.write(`\nThe checkpoint signing keys are files: copy ${join(dataDir, 'keys')}/ into the data directory of every Annals node on ${opts.to.replace(/\/\/[^@/]*@/, '//')}.\n`);
        }
        if (report.some((r) => !r.same)) process.exitCode = 1;
      } finally {
        bar?.stop();
        await Promise.all([source.close(), target.close()]);
      }
    });
}
