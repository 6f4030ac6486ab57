import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command } from 'commander';
import { bundleLines } from '../../integrity/export-bundle.js';
import { withAnnals } from '../context.js';
import { progress } from '../progress.js';

export function exportCommand(): Command {
  return new Command('export')
    .description('write a verifiable export: every event up to a fresh signed checkpoint, with the checkpoint, the public keys and the leaf hashes (NDJSON)')
    .requiredOption('--org <id>', 'the organization')
    .option('-o, --out <file>', 'where to write (default: standard output)')
    .action(async (opts: { org: string; out?: string }, command: Command) => {
      await withAnnals(command, async (annals) => {
        const checkpoint = await annals.ledger.cut(opts.org);
        const out = opts.out ? createWriteStream(opts.out) : process.stdout;
        const bar = opts.out ? progress(`export ${opts.org}`, checkpoint.size) : progress('', 0);
        let n = 0;
        for await (const line of bundleLines(annals.store, annals.ledger, opts.org, checkpoint)) {
          if (!out.write(`${line}\n`)) await once(out, 'drain');
          if (++n % 1000 === 0) bar.increment(1000);
        }
        bar.stop();
        if (opts.out) {
          (out as ReturnType<typeof createWriteStream>).end();
          await once(out, 'finish');
          process.stderr.write(`exported ${checkpoint.size} events of ${opts.org} up to its checkpoint of size ${checkpoint.size}\n`);
        }
      });
    });
}
