// The action catalogue's model: an action is what an event says happened, named by a stable key.
// Pure: the built-in data lives in src/catalogue/, custom actions in the store.

export type Operation = 'create' | 'read' | 'update' | 'delete' | 'access' | 'other';
export const OPERATIONS: readonly Operation[] = ['create', 'read', 'update', 'delete', 'access', 'other'];

export type Product =
  | 'admin' | 'jira' | 'confluence' | 'bitbucket' | 'loom' | 'jira_service_management' | 'operations'
  | 'compass' | 'focus' | 'rovo' | 'analytics' | 'talent' | 'custom';

export interface ActionDefinition {
  /** `<category_slug>.<activity_slug>`, e.g. `user_management.added_user_to_group`. */
  key: string;
  displayName: string;
  category: string;
  product: Product;
  operation: Operation;
  /** true for the seed-derived catalogue, false for an organization's own registered actions. */
  builtIn: boolean;
}

/** Lower-case, every run of characters outside [a-z0-9] becomes one `_`, trimmed of `_`. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

export function actionKey(category: string, displayName: string): string {
  return `${slug(category)}.${slug(displayName)}`;
}
