import { Command, Option } from 'commander';
import { type StoredEvent, toEnvelope } from '../../domain/event.js';
import type { EventQuery } from '../../query/query-service.js';
import { collect, repeat, wholeNumber, withAnnals } from '../context.js';

type QueryOptions = Omit<EventQuery, 'limit' | 'cursor'> & { org: string; limit: number; format: 'table' | 'json' | 'ndjson' };

function entityNames(e: StoredEvent): string {
  return e.context.map((c) => {
    const attrs = c.attributes ?? {};
    const name = attrs.issueKey ?? attrs.name ?? attrs.displayName ?? attrs.title ?? c.id;
    return `${c.type}:${String(name)}`;
  }).join(' ');
}

const COLUMNS = ['time', 'action', 'actor', 'ip', 'outcome', 'context'] as const;

function row(e: StoredEvent): string[] {
  return [e.time, e.action, e.actor.email ?? e.actor.name ?? e.actor.id, e.location?.ip ?? '', e.outcome, entityNames(e)];
}

/** Column widths for tables printed in parts (annals tail): every part lines up with the first. */
const FIXED_WIDTHS = [24, 48, 32, 15, 7];

/** A table of events: column widths fitted to them, or fixed; with or without the header line. */
export function formatTable(events: StoredEvent[], options: { header?: boolean; fixed?: boolean } = {}): string {
  const rows = [...(options.header === false ? [] : [COLUMNS.map((c) => c.toUpperCase())]), ...events.map(row)];
  const widths = options.fixed ? FIXED_WIDTHS : COLUMNS.map((_, i) => Math.min(60, Math.max(...rows.map((r) => r[i].length))));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.slice(0, widths[i]).padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n') + '\n';
}

export function queryCommand(): Command {
  return new Command('query')
    .description('search events (the same filters as GET /v1/orgs/{orgId}/events)')
    .requiredOption('--org <id>', 'the organization')
    .option('--from <time>', 'earliest event time, inclusive (epoch ms or ISO-8601)')
    .option('--to <time>', 'latest event time, exclusive')
    .option('--action <keys>', 'action keys (comma-separated or repeated)', collect)
    .option('--category <names>', 'catalogue categories', collect)
    .option('--product <names>', 'products (jira, confluence, admin, ...)', collect)
    .option('--actor <id>', 'actor id, email or name (repeatable)', repeat)
    .option('--ip <addresses>', 'IP addresses', collect)
    .option('--location <place>', 'country or city (any case; repeatable)', repeat)
    .option('-q, --q <query>', 'the query language: qualifiers (action:, actor:, ip:, country:, time:>-7d, …), -exclusions and free text')
    .option('-n, --limit <n>', 'how many events (newest first)', wholeNumber(1), 20)
    .addOption(new Option('--sort-order <order>', 'newest first (desc) or oldest first (asc)').choices(['desc', 'asc']))
    .addOption(new Option('--format <format>', 'how to print the events').choices(['table', 'json', 'ndjson']).default('table'))
    .action(async (opts: QueryOptions, command: Command) => {
      await withAnnals(command, async (annals) => {
        const { org: _org, limit: _limit, format: _format, ...query } = opts;
        // Pages of up to 1000 until the limit is reached.
        const events: StoredEvent[] = [];
        let cursor: string | undefined;
        do {
          const page = await annals.query.search(opts.org, { ...query, cursor, limit: Math.min(1000, opts.limit - events.length) });
          events.push(...page.events);
          cursor = page.next;
        } while (cursor && events.length < opts.limit);
        const envelopes = () => events.map((e) => toEnvelope(e, `/v1/orgs/${opts.org}/events/${e.id}`));
        if (opts.format === 'json') process.stdout.write(`${JSON.stringify(envelopes(), null, 2)}\n`);
        else if (opts.format === 'ndjson') process.stdout.write(envelopes().map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : ''));
        else process.stdout.write(formatTable(events));
      });
    });
}
