// Starts `annals serve` in a child process for the HTTP figures (the server gets cores of its own, as in production),
// compiled and with the environment and Node flags the installed entry point uses.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/**
 * Throws unless every source file's compiled output in dist/ is newer than it: the HTTP figures would otherwise be an
 * older server's. Checked when this module loads, so that a bench fails at once, not after building its store.
 */
function assertBuilt(): void {
  for (const file of readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const built = statSync(join(ROOT, 'dist', file.replace(/\.ts$/, '.js')), { throwIfNoEntry: false });
    if (!built || built.mtimeMs < statSync(join(ROOT, 'src', file)).mtimeMs) {
      throw new Error(`dist/ is older than src/${file}: run \`npm run build\` first (the bench scripts do)`);
    }
  }
}
assertBuilt();

/**
 * The environment and Node flags the installed entry point runs with: bin/annals's `exec` line,
 * `exec env [NAME=value ...] node [flag ...] "<script>" "$@"`.
 */
export function entryCommand(): { env: Record<string, string>; flags: string[] } {
  const text = readFileSync(join(ROOT, 'bin/annals'), 'utf8');
  const m = /^exec env ((?:\w+=\S* )*)node((?: --?[\w-]+(?:=\S*)?)*) "[^"]*" "\$@"$/m.exec(text);
  if (!m) throw new Error('bin/annals has no line \'exec env [NAME=value ...] node [flag ...] "<script>" "$@"\'');
  const env = Object.fromEntries(m[1].split(' ').filter(Boolean).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
  return { env, flags: m[2].split(' ').filter(Boolean) };
}

export interface ServerProcess {
  url: string;
  /** What the server printed before it listened (the bootstrap admin key on a first start). */
  output: string;
  child: ChildProcess;
}

/**
 * `annals serve` as installed: the compiled CLI (dist/, which the bench scripts build first), not the TypeScript
 * source under tsx, whose transpiled output the server would otherwise be measured on (about 5% more CPU a page of
 * events). `args`: more global options (e.g. `--database-url`).
 */
export async function spawnServer(dataDir: string, args: string[] = []): Promise<ServerProcess> {
  const main = join(ROOT, 'dist/cli/main.js');
  const entry = entryCommand();
  const child = spawn(process.execPath, [...entry.flags, main, '--data-dir', dataDir, ...args, 'serve', '--port', '0', '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...entry.env } });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  await warmedUp(url);
  return { url, output, child };
}

/**
 * Resolves once the server's warm-up after its start (Store.warm) is done, as /readyz says: requests that arrive
 * meanwhile wait behind its slices (up to a few ms each), which is a start's latency, not the one a bench times.
 */
async function warmedUp(url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then((res) => res.json() as Promise<{ warming?: boolean }>);
    if (ready.warming === false) return;
    if (Date.now() > deadline) throw new Error(`the server at ${url} was still warming up after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A server started on `dir` (and `args`), its bootstrap admin key, and the organization `bench` made through it. */
export interface BenchServer { url: string; token: string; child: ChildProcess; dir: string }

export async function startBenchServer(dir: string, args: string[] = []): Promise<BenchServer> {
  const { url, output, child } = await spawnServer(dir, args);
  const token = /(ann_[a-z0-9]{16}_[A-Za-z0-9_-]{43})/.exec(output)![1];
  const res = await fetch(`${url}/v1/orgs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'bench' }) });
  if (res.status !== 201) throw new Error(`create org: ${res.status}`);
  return { url, token, child, dir };
}
