// Runs every test file under test/ with node's test runner (Node 20's --test takes no globs), then the HTTP API and
// CLI suites (test/api/, test/cli/) once more on the PostgreSQL store. The contract suite (test/contract/) loops over both stores
// itself. Without a reachable PostgreSQL the PostgreSQL runs are skipped with a loud notice (test/support/postgres.ts),
// except under CI=true, where they must run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return find(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const run = (files, env = {}) => spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files],
  { stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;

const only = process.argv.slice(2);
if (only.length > 0) process.exit(run(only));

const status = run(find('test').sort());
const reachable = spawnSync(process.execPath, ['--import', 'tsx', '-e',
  "import('./test/support/postgres.ts').then(async (m) => process.exit((await m.postgresReachable()) ? 0 : 3))"], { stdio: 'inherit' }).status;
let postgres = 0;
if (reachable === 0) {
  process.stdout.write('\n# the HTTP API and CLI suites again, on the PostgreSQL store\n');
  postgres = run([...find('test/api'), ...find('test/cli')].sort(), { ANNALS_TEST_STORE: 'postgres' });
} else if (reachable !== 3) {
  postgres = 1;
}
process.exit(status || postgres);
