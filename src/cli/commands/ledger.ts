import { Command } from 'commander';
import { withAnnals } from '../context.js';

export function ledgerCommand(): Command {
  const ledger = new Command('ledger').description('signed checkpoints and the keys that sign them');
  ledger.command('checkpoint')
    .description("cut a signed checkpoint of an organization's log now, and print it (a C2SP signed note)")
    .requiredOption('--org <id>', 'the organization')
    .action(async (opts: { org: string }, command: Command) => {
      await withAnnals(command, async (annals) => {
        process.stdout.write((await annals.ledger.cut(opts.org)).note);
      });
    });
  ledger.command('keys')
    .description("list the checkpoint signing keys: every node's published ones and this node's own (their verifier keys are what auditors keep)")
    .action(async (_opts: unknown, command: Command) => {
      await withAnnals(command, async (annals) => {
        const held = new Set(annals.ledger.keys.list().map((k) => k.verifierKey));
        for (const k of await annals.ledger.publicKeys()) {
          const use = k.active ? 'active' : held.has(k.verifierKey) ? 'retired' : 'not held here';
          process.stdout.write(`${k.verifierKey}\t${k.createdAt}\t${use}\t${k.published ? 'published' : 'unpublished'}\n`);
        }
      });
    });
  ledger.command('rotate-key')
    .description('make a new signing key; earlier keys stay, so what they signed still verifies')
    .action(async (_opts: unknown, command: Command) => {
      await withAnnals(command, async (annals) => {
        process.stdout.write(`${(await annals.ledger.rotateKey()).verifierKey}\n`);
      });
    });
  return ledger;
}
