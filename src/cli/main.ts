// The `annals` command: one file per subcommand under commands/, each thin over the same services as the API.
import { Command } from 'commander';
import { AnnalsError } from '../domain/errors.js';
import { demoCommand } from './commands/demo.js';
import { exportCommand } from './commands/export.js';
import { ingestCommand } from './commands/ingest.js';
import { keysCommand } from './commands/keys.js';
import { ledgerCommand } from './commands/ledger.js';
import { orgsCommand } from './commands/orgs.js';
import { queryCommand } from './commands/query.js';
import { serveCommand } from './commands/serve.js';
import { verifyCommand } from './commands/verify.js';

const program = new Command('annals')
  .description('Annals: a tamper-evident audit log database for organizations')
  .version('0.1.0')
  .option('-d, --data-dir <dir>', 'where the embedded store keeps its data (env ANNALS_DATA_DIR)', process.env.ANNALS_DATA_DIR ?? 'annals-data')
  .showHelpAfterError();

program.addCommand(serveCommand());
program.addCommand(orgsCommand());
program.addCommand(keysCommand());
program.addCommand(ingestCommand());
program.addCommand(queryCommand());
program.addCommand(demoCommand());
program.addCommand(ledgerCommand());
program.addCommand(exportCommand());
program.addCommand(verifyCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof AnnalsError) {
    process.stderr.write(`annals: ${error.title}: ${error.message}\n`);
    process.exitCode = 1;
  } else if (error instanceof Error && !('code' in error && String((error as { code: unknown }).code).startsWith('commander.'))) {
    process.stderr.write(`annals: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
