// Starts `annals serve` in a child process for the HTTP figures (the server gets cores of its own, as in production).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface ServerProcess {
  url: string;
  /** What the server printed before it listened (the bootstrap admin key on a first start). */
  output: string;
  child: ChildProcess;
}

/** `args`: more global options (e.g. `--database-url`). */
export async function spawnServer(dataDir: string, args: string[] = []): Promise<ServerProcess> {
  const main = join(import.meta.dirname, '..', 'src/cli/main.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', main, '--data-dir', dataDir, ...args, 'serve', '--port', '0', '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return { url, output, child };
}
