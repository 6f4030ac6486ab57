import { Command } from 'commander';
import type { Scope } from '../../domain/org.js';
import { collect, withAnnals } from '../context.js';

export function keysCommand(): Command {
  const keys = new Command('keys').description('create, list and revoke API keys');
  keys.command('create')
    .description('create an API key and print its token (shown once)')
    .option('--org <id>', 'the organization it acts for (omit for an instance key that spans orgs)')
    .option('--name <name>', 'what the key is for', 'cli')
    .option('--scopes <list>', 'write:events, read:events, admin (comma-separated or repeated)', collect)
    .action(async (opts: { org?: string; name: string; scopes?: string[] }, command: Command) => {
      await withAnnals(command, async (annals) => {
        const created = await annals.keys.create(opts.org ?? null, opts.name, (opts.scopes ?? ['read:events']) as Scope[]);
        process.stderr.write(`created key ${created.key.id} (${created.key.scopes.join(' ')}) for ${created.key.org ?? 'every organization'}\n`);
        process.stdout.write(`${created.token}\n`);
      });
    });
  keys.command('list')
    .description('list API keys (never their tokens)')
    .option('--org <id>', 'the organization (omit for instance keys)')
    .action(async (opts: { org?: string }, command: Command) => {
      await withAnnals(command, async (annals) => {
        for (const k of await annals.keys.list(opts.org ?? null)) {
          process.stdout.write(`${k.id}\t${k.name}\t${k.scopes.join(' ')}\t${k.createdAt}\t${k.revokedAt ? `revoked ${k.revokedAt}` : 'live'}\n`);
        }
      });
    });
  keys.command('revoke <keyId>')
    .description('revoke an API key')
    .option('--org <id>', 'the organization it belongs to (omit for an instance key)')
    .action(async (keyId: string, opts: { org?: string }, command: Command) => {
      await withAnnals(command, async (annals) => {
        await annals.keys.revoke(opts.org ?? null, keyId);
        process.stdout.write(`revoked ${keyId}\n`);
      });
    });
  return keys;
}
