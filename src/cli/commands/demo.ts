import { Command } from 'commander';
import type { Annals } from '../../annals.js';
import { demoEvents } from '../../demo/demo-events.js';
import { wholeNumber, withAnnals } from '../context.js';
import { progress } from '../progress.js';

export interface DemoRun {
  org: string;
  events: number;
  users?: number;
  days?: number;
  seed?: number;
}

/** Batches of 1000 demo events kept in flight. */
const IN_FLIGHT = 6;

/** Creates the org if needed and records `events` demo events in it, through the ingest service. */
export async function runDemo(annals: Annals, run: DemoRun): Promise<{ stored: number; ms: number }> {
  if (!(await annals.store.getOrg(run.org))) await annals.store.createOrg({ id: run.org, name: `${run.org} (demo)` });
  const started = Date.now();
  const bar = progress(`demo ${run.org}`, run.events);
  let stored = 0;
  // Several batches in flight (a sliding window) let group commit put them in one transaction and keep the store's
  // writer busy while the next ones are made and validated.
  const inFlight = new Set<Promise<void>>();
  for (const batch of demoEvents({ events: run.events, users: run.users, days: run.days, seed: run.seed }, 1000)) {
    const sent: Promise<void> = annals.ingest.ingest(run.org, batch).then((r) => {
      stored += r.length;
      bar.increment(r.length);
      inFlight.delete(sent);
    });
    inFlight.add(sent);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  bar.stop();
  return { stored, ms: Date.now() - started };
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('fill an organization with realistic audit activity across all 33 catalogue categories')
    .option('--org <id>', 'the organization (created if missing)', 'demo')
    .option('-n, --events <n>', 'how many events', wholeNumber(1), 100_000)
    .option('--users <n>', 'how many people', wholeNumber(1), 300)
    .option('--days <n>', 'how many days of history, ending now', wholeNumber(1), 30)
    .option('--seed <n>', 'random seed (same seed, same events)', wholeNumber(), 1)
    .action(async (opts: { org: string; events: number; users: number; days: number; seed: number }, command: Command) => {
      await withAnnals(command, async (annals) => {
        const { stored, ms } = await runDemo(annals, opts);
        process.stdout.write(`stored ${stored} demo events in organization ${opts.org} in ${(ms / 1000).toFixed(1)} s `
          + `(${Math.round(stored / (ms / 1000))} events/s)\n`);
      });
    });
}
