import { Command } from 'commander';
import { withAnnals } from '../context.js';

export function orgsCommand(): Command {
  const orgs = new Command('orgs').description('create and list organizations');
  orgs.command('create <id>')
    .description('create an organization')
    .option('--name <name>', 'display name (default: the id)')
    .action(async (id: string, opts: { name?: string }, command: Command) => {
      await withAnnals(command, async (annals) => {
        const org = await annals.store.createOrg({ id, name: opts.name ?? id });
        process.stdout.write(`created organization ${org.id}\n`);
      });
    });
  orgs.command('list')
    .description('list organizations and the size of their logs')
    .action(async (_opts: unknown, command: Command) => {
      await withAnnals(command, async (annals) => {
        for (const org of await annals.store.listOrgs()) {
          process.stdout.write(`${org.id}\t${org.name}\t${await annals.store.countEvents(org.id)} events\n`);
        }
      });
    });
  return orgs;
}
