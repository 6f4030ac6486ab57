// A progress bar on a terminal (cli-progress), silence elsewhere (pipes, CI, tests).
import { Presets, SingleBar } from 'cli-progress';

export interface Progress {
  increment(by: number): void;
  stop(): void;
}

export function progress(label: string, total: number): Progress {
  if (!process.stderr.isTTY) return { increment() {}, stop() {} };
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
    stream: process.stderr,
    hideCursor: true,
  }, Presets.shades_classic);
  bar.start(total, 0);
  return { increment: (by) => bar.increment(by), stop: () => bar.stop() };
}
