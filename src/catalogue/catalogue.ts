// The built-in action catalogue: every activity of the seed table, derived by
// scripts/derive-catalogue.ts into activities.json (see derive.ts for how) and loaded here once.
// activities.json is read next to this module, so the build must copy it into dist/catalogue/.

import { readFileSync } from 'node:fs';
import type { ActionDefinition, Operation, Product } from '../domain/action.js';

interface CatalogueRecord {
  key: string;
  displayName: string;
  category: string;
  product: Product;
  operation: Operation;
}

const records = JSON.parse(readFileSync(new URL('./activities.json', import.meta.url), 'utf8')) as CatalogueRecord[];

export const BUILT_IN_ACTIONS: readonly ActionDefinition[] = Object.freeze(
  records.map((r) =>
    Object.freeze<ActionDefinition>({
      key: r.key,
      displayName: r.displayName,
      category: r.category,
      product: r.product,
      operation: r.operation,
      builtIn: true,
    }),
  ),
);

/** Category names, in seed order. */
export const CATEGORIES: readonly string[] = Object.freeze([...new Set(BUILT_IN_ACTIONS.map((a) => a.category))]);

const byKey: ReadonlyMap<string, ActionDefinition> = new Map(BUILT_IN_ACTIONS.map((a) => [a.key, a]));

export function builtInAction(key: string): ActionDefinition | undefined {
  return byKey.get(key);
}
