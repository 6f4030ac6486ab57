// The `annals` command: one file per subcommand under commands/, each thin over the same services as the API.
import { Command } from 'commander';
import { AnnalsError } from '../domain/errors.js';
import { caret } from '../query/parser.js';
import { demoCommand } from './commands/demo.js';
import { exportCommand } from './commands/export.js';
import { ingestCommand } from './commands/ingest.js';
import { keysCommand } from './commands/keys.js';
import { ledgerCommand } from './commands/ledger.js';
import { migrateCommand } from './commands/migrate.js';
import { orgsCommand } from './commands/orgs.js';
import { queryCommand } from './commands/query.js';
import { serveCommand } from './commands/serve.js';
import { tailCommand } from './commands/tail.js';
import { verifyCommand } from './commands/verify.js';

const program = new Command('annals')
  .description('Annals: a tamper-evident audit log database for organizations')
  .version('0.1.0')
  .option('-d, --data-dir <dir>', 'where the embedded store keeps its data (env ANNALS_DATA_DIR)', process.env.ANNALS_DATA_DIR ?? 'annals-data')
  .option('--database-url <url>', 'keep the data in this PostgreSQL database (postgres://…) instead of the embedded store; the data dir then holds only the signing keys (env ANNALS_DATABASE_URL)', process.env.ANNALS_DATABASE_URL || undefined)
  .showHelpAfterError();

program.addCommand(serveCommand());
program.addCommand(orgsCommand());
program.addCommand(keysCommand());
program.addCommand(ingestCommand());
program.addCommand(queryCommand());
program.addCommand(demoCommand());
program.addCommand(ledgerCommand());
program.addCommand(exportCommand());
program.addCommand(tailCommand());
program.addCommand(verifyCommand());
program.addCommand(migrateCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof AnnalsError) {
    process.stderr.write(`annals: ${error.title}: ${error.message}\n`);
    const q = queryArgument(process.argv);
    if (error.code === 'ANN_ERR_QUERY_SYNTAX' && q !== undefined && typeof error.details.position === 'number') {
      process.stderr.write(`${caret(q, error.details.position).replace(/^/gm, '  ')}\n`);
    }
    process.exitCode = 1;
  } else if (error instanceof Error && !('code' in error && String((error as { code: unknown }).code).startsWith('commander.'))) {
    process.stderr.write(`annals: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}

/** The value of -q / --q on the command line, if any. */
function queryArgument(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if ((argv[i] === '-q' || argv[i] === '--q') && i + 1 < argv.length) return argv[i + 1];
    if (argv[i].startsWith('--q=')) return argv[i].slice(4);
  }
  return undefined;
}
