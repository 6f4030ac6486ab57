import { Command, Option } from 'commander';
import { type Annals, openAnnals } from '../../annals.js';
import { buildApp } from '../../api/app.js';
import { storeConfig, wholeNumber } from '../context.js';
import { runDemo } from './demo.js';

/** On first start (no key at all) creates an instance admin key and prints it: the way in. */
async function bootstrapKey(annals: Annals): Promise<string | undefined> {
  if ((await annals.store.countApiKeys()) > 0) return undefined;
  const created = await annals.keys.create(null, 'bootstrap admin', ['admin']);
  return created.token;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the HTTP API (on the embedded store in the data directory, or on --database-url)')
    .option('-p, --port <port>', 'port to listen on (env ANNALS_PORT)', process.env.ANNALS_PORT ?? '8080')
    .option('--host <host>', 'address to listen on (env ANNALS_HOST)', process.env.ANNALS_HOST ?? '127.0.0.1')
    .option('--demo [events]', 'fill organization "demo" with demo events first, if it has none (default 100000)', wholeNumber(1))
    .option('--log-level <level>', 'pino log level', process.env.ANNALS_LOG_LEVEL ?? 'info')
    .addOption(new Option('--warm-days <days>', "once listening, read each org's newest days of events into memory, so "
      + 'that the first searches after a quiet start are as quick as later ones (0: none)').env('ANNALS_WARM_DAYS').argParser(wholeNumber(0)).default(30))
    .action(async (opts: { port: string; host: string; demo?: number | true; logLevel: string; warmDays: number }, command: Command) => {
      const annals = await openAnnals(storeConfig(command));
      const token = await bootstrapKey(annals);
      if (opts.demo !== undefined && !(await annals.store.getOrg('demo'))) {
        const events = opts.demo === true ? 100_000 : opts.demo;
        process.stderr.write(`filling organization "demo" with ${events} events...\n`);
        const { stored, ms } = await runDemo(annals, { org: 'demo', events });
        process.stderr.write(`stored ${stored} demo events in ${(ms / 1000).toFixed(1)} s\n`);
      }
      let warming = opts.warmDays > 0;
      const app = await buildApp(annals, { logger: { level: opts.logLevel }, warming: () => warming });
      const address = await app.listen({ port: Number(opts.port), host: opts.host });
      if (token) {
        process.stdout.write(`\nFirst start: this is the admin API key (instance-wide; shown once, keep it safe):\n\n  ${token}\n\n`);
      }
      process.stdout.write(`Annals is listening on ${address}  (API reference: ${address}/docs)\n`);
      let closing = false;
      if (opts.warmDays > 0) {
        const started = performance.now();
        annals.store.warm({ days: opts.warmDays }).then(
          (entries) => { if (!closing) app.log.info({ entries, ms: Math.round(performance.now() - started) }, `warmed: read each org's newest ${opts.warmDays} days from its time index`); },
          (error: unknown) => { if (!closing) app.log.warn({ err: error }, 'warming the store failed (searches answer all the same)'); })
          .finally(() => { warming = false; });
      }
      // Checkpoints on a schedule: every org whose log grew since its last one gets a new signed checkpoint.
      const every = Number(process.env.ANNALS_CHECKPOINT_SECONDS ?? 60) * 1000;
      const timer = setInterval(() => {
        annals.ledger.cutAll().catch((error: unknown) => app.log.error({ err: error }, 'scheduled checkpoint failed'));
      }, every);
      timer.unref();
      const shutdown = async () => {
        if (closing) return;
        closing = true;
        clearInterval(timer);
        // Stop taking requests, let acknowledged work finish, then close the store.
        await app.close();
        await annals.close();
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
