// `annals serve` in a child process, for the tests that need a real server (several nodes, start-up output).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const MAIN = join(import.meta.dirname, '..', '..', 'src/cli/main.ts');

export interface Served {
  url: string;
  /** What it printed before it listened (the bootstrap admin key on a first start). */
  output: string;
  child: ChildProcess;
}

/** Starts `annals <globals> serve --port 0 <more>` and resolves once it listens. */
export async function serveAnnals(globals: string[], options: { env?: NodeJS.ProcessEnv; args?: string[]; stderr?: 'inherit' | 'pipe' } = {}): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...globals, 'serve', '--port', '0', '--log-level', 'warn', ...(options.args ?? [])],
    { stdio: ['ignore', 'pipe', options.stderr ?? 'inherit'], env: options.env ?? process.env });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`annals serve exited (${code}) before it listened: ${output}`)));
  });
  return { url, output, child };
}
