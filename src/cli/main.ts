// The `annals` command: one file per subcommand under commands/, each thin over the same services as the API.
import { Command } from 'commander';
import { AnnalsError } from '../domain/errors.js';
import { demoCommand } from './commands/demo.js';
import { ingestCommand } from './commands/ingest.js';
import { keysCommand } from './commands/keys.js';
import { orgsCommand } from './commands/orgs.js';
import { queryCommand } from './commands/query.js';
import { serveCommand } from './commands/serve.js';

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

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof AnnalsError) {
    process.stderr.write(`annals: ${error.title}: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
