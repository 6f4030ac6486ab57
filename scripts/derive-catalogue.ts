// Derives src/catalogue/activities.json from the seed table (see src/catalogue/derive.ts).
//
//   node --import tsx scripts/derive-catalogue.ts [seed-path] [--check]
//
// seed-path defaults to ../shared/seed/audit-log-activities.txt relative to the repo root.
// --check writes nothing and exits 1 if the checked-in JSON differs from a fresh derivation.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveCatalogue, duplicateKeys, serialiseCatalogue } from '../src/catalogue/derive.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outPath = resolve(repoRoot, 'src/catalogue/activities.json');

const args = process.argv.slice(2);
const check = args.includes('--check');
const positional = args.filter((a) => !a.startsWith('--'));
const unknown = args.filter((a) => a.startsWith('--') && a !== '--check');
if (unknown.length > 0 || positional.length > 1) {
  console.error('usage: derive-catalogue [seed-path] [--check]');
  process.exit(2);
}
const seedPath = positional[0] ? resolve(positional[0]) : resolve(repoRoot, '../shared/seed/audit-log-activities.txt');

const entries = deriveCatalogue(readFileSync(seedPath, 'utf8'));

const dups = duplicateKeys(entries);
if (dups.length > 0) {
  for (const d of dups) console.error(`duplicate key ${d.key}: ${d.displayNames.map((n) => JSON.stringify(n)).join(', ')}`);
  process.exit(1);
}

const json = serialiseCatalogue(entries);
const shown = relative(process.cwd(), outPath) || outPath;
if (check) {
  const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : '';
  if (current !== json) {
    console.error(`${shown} is out of date: run node --import tsx scripts/derive-catalogue.ts`);
    process.exit(1);
  }
  console.log(`${shown} is up to date (${entries.length} actions)`);
} else {
  writeFileSync(outPath, json);
  const categories = new Set(entries.map((e) => e.category)).size;
  console.log(`wrote ${shown}: ${entries.length} actions in ${categories} categories`);
}
