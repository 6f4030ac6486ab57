// `annals tail`: the newest events, then every new one as it is committed (like `tail -f`), in processing order.
// It follows the events-stream cursor, so it never misses an event or shows one twice, also when events arrive
// with an old `time`.
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import { type StoredEvent, toEnvelope } from '../../domain/event.js';
import { wholeNumber, withAnnals } from '../context.js';
import { formatTable } from './query.js';

interface TailOptions {
  org: string;
  q?: string;
  lines: number;
  from?: string;
  interval: number;
  follow: boolean;
  format: 'table' | 'ndjson';
}

export function tailCommand(): Command {
  return new Command('tail')
    .description('print the newest events, then follow new ones as they are committed (processing order)')
    .requiredOption('--org <id>', 'the organization')
    .option('-q, --q <query>', 'only events that match this query (the query language of `annals query -q`)')
    .option('-n, --lines <n>', 'how many of the newest events to print first', wholeNumber(0), 10)
    .option('--from <time>', 'start at this processing time instead (epoch ms, ISO-8601 or -1h)')
    .option('--interval <ms>', 'how long to wait for new events before looking again (new commits of this process, and on PostgreSQL of any Annals node, wake it at once)', wholeNumber(10), 1000)
    .option('--no-follow', 'print and exit')
    .addOption(new Option('--format <format>', 'how to print the events').choices(['table', 'ndjson']).default('table'))
    .action(async (opts: TailOptions, command: Command) => {
      await withAnnals(command, async (annals) => {
        let header = opts.format === 'table';
        const print = (events: StoredEvent[]) => {
          if (events.length === 0) return;
          if (opts.format === 'ndjson') {
            process.stdout.write(events.map((e) => JSON.stringify(toEnvelope(e, `/v1/orgs/${opts.org}/events/${e.id}`))).join('\n') + '\n');
          } else {
            process.stdout.write(formatTable(events, { header, fixed: true }));
            header = false;
          }
        };
        let cursor: string | undefined;
        let after = -1;
        // -n 0: only what is committed from now on.
        let from = opts.from ?? (opts.lines === 0 ? String(Date.now()) : undefined);
        if (from === undefined) {
          const newest = await annals.query.stream(opts.org, { q: opts.q, limit: Math.min(1000, opts.lines), sortOrder: 'desc' });
          const events = newest.events.reverse();
          print(events);
          const last = events[events.length - 1];
          if (last) {
            // Resume in commit order from the last one shown (its millisecond may hold more: skipped by seq).
            from = String(Date.parse(last.processedAt));
            after = last.seq;
          }
        }
        let stop = false;
        process.once('SIGINT', () => { stop = true; });
        for (;;) {
          const query = cursor === undefined ? { q: opts.q, from, limit: 1000 } : { q: opts.q, cursor, limit: 1000 };
          // The first page answers at once; following ones wait (a long poll) for the next commit.
          const page = await annals.query.stream(opts.org, query, cursor !== undefined && opts.follow ? opts.interval : 0);
          print(page.events.filter((e) => e.seq > after));
          if (page.next) cursor = page.next;
          if (page.events.length === 1000) continue;
          if (!opts.follow || stop) break;
          // No cursor yet (nothing stored since `from`): nothing to wait on, so look again after the interval.
          if (cursor === undefined) await sleep(opts.interval);
          if (stop) break;
        }
      });
    });
}
