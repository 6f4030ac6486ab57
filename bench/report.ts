// Figures for `npm run bench`: percentiles, a plain-text table, and what about the machine colours them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Row {
  what: string;
  baseline: string;
  annals: string;
  /** Annals as a fraction of the baseline's speed (1.00 = as fast; 0.50 = half as fast). */
  ratio: string;
  note: string;
  /** What a bare server running the bare statement takes to send the same response, timed in turn with Annals (floor-server.ts). */
  floor?: string;
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `annalsSpeed / baselineSpeed`, for rates (higher is faster) or, given latencies, baseline/annals. */
export function ratio(numerator: number, denominator: number): string {
  return (numerator / denominator).toFixed(2);
}

export function printTable(title: string, rows: Row[]): void {
  const keys = rows.some((r) => r.floor !== undefined)
    ? ['what', 'baseline', 'annals', 'ratio', 'floor', 'note'] as const
    : ['what', 'baseline', 'annals', 'ratio', 'note'] as const;
  const head: Row = { what: 'measure', baseline: 'baseline', annals: 'annals', ratio: 'ratio', note: 'note', floor: 'HTTP floor' };
  printColumns(title, keys.map((k) => head[k] ?? ''), rows.map((r) => keys.map((k) => r[k] ?? '')));
}

/** A plain-text table: `title`, then `head` and `rows` in columns as wide as their widest cell. */
export function printColumns(title: string, head: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) => r.map((cell, i) => cell.padEnd(widths[i])).join(' | ').trimEnd();
  process.stdout.write(`\n${title}\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n${rows.map(line).join('\n')}\n`);
}

/** `p50 / p99 ms` of latencies in milliseconds. */
export function latency(samples: number[]): string {
  return `${percentile(samples, 50).toFixed(2)} / ${percentile(samples, 99).toFixed(2)} ms`;
}

/** A row of latencies: p50 / p99 of the baseline's and of Annals', the ratio of their p99s, and a floor's if timed. */
export function latencyRow(what: string, base: number[], annals: number[], note: string, floor?: number[]): Row {
  return { what, baseline: latency(base), annals: latency(annals), ratio: ratio(percentile(base, 99), percentile(annals, 99)), note, floor: floor && latency(floor) };
}

/** A page-query row: p50 / p99 of the baseline's reads and of Annals' over HTTP. */
export function pageRow(name: string, base: number[], http: number[], note: string): Row {
  return latencyRow(`page query: ${name} (100 rows)`, base, http, note);
}

/** A thread's time running, and runnable but waiting for a CPU, in ms: Linux's /proc/<pid>/schedstat. */
export interface CpuTime { running: number; waiting: number }

/**
 * The CPU time so far of process `pid`'s main thread (the thread-group leader: its JavaScript's thread, in Node; not
 * V8's or libuv's helper threads), or undefined where the kernel does not say (not Linux, or no scheduler
 * statistics: all zeros). `waiting` is time it could have run while the CPU ran something else: on the project's
 * 2-core VMs a server that answers a client on the same machine waits so for milliseconds at a time.
 */
export function cpuTime(pid: number): CpuTime | undefined {
  try {
    const [running, waiting] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return running > 0 ? { running: running / 1e6, waiting: waiting / 1e6 } : undefined;
  } catch {
    return undefined;
  }
}

const DAMON = '/sys/kernel/mm/damon/admin/kdamonds';

/**
 * What the machine does that changes the figures, as lines to print under a table: a running DAMON `pageout` scheme
 * (the kernel pages out memory it sees untouched for a while, page cache included, so reads of a large store go to
 * the disk again; seen on the project's VMs). Empty when there is nothing to say or nothing can be read (DAMON's
 * files are root's alone; a DAMON_RECLAIM module has no kdamond there and is not seen).
 */
export function machineNotes(): string[] {
  const notes: string[] = [];
  const numbered = (path: string) => readdirSync(path).filter((d) => /^\d+$/.test(d));
  try {
    for (const k of numbered(DAMON)) {
      const read = (path: string) => readFileSync(join(DAMON, k, path), 'utf8').trim();
      if (read('state') !== 'on') continue;
      for (const c of numbered(join(DAMON, k, 'contexts'))) {
        for (const s of numbered(join(DAMON, k, 'contexts', c, 'schemes'))) {
          if (read(join('contexts', c, 'schemes', s, 'action')) !== 'pageout') continue;
          notes.push(`note: kdamond ${k} runs a DAMON pageout scheme: memory left untouched for a while (page cache too) `
            + 'is paged out, so these reads may go to the disk (docs/performance.md, the fourteenth VM)');
        }
      }
    }
  } catch {
    // No DAMON, not root (its files are root's alone), or a kdamond that changed while it was read: nothing to say.
  }
  return notes;
}
