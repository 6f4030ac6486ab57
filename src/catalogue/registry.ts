// Every action an org may use: the built-in catalogue plus the org's own registered actions (kept in the store).
import { type ActionDefinition, OPERATIONS, type Operation } from '../domain/action.js';
import { AnnalsError } from '../domain/errors.js';
import { isText, NOT_TEXT } from '../domain/text.js';
import type { Store } from '../store/store.js';
import { BUILT_IN_ACTIONS, builtInAction } from './catalogue.js';

export interface CustomActionInput {
  key: string;
  displayName: string;
  category: string;
  operation?: Operation;
}

const CUSTOM_KEY = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;

export class ActionRegistry {
  readonly #store: Store;
  /** Custom actions seen per org. Never stale: actions are only ever added, and a miss asks the store. */
  readonly #custom = new Map<string, Map<string, ActionDefinition>>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** The definition of `key` for `org`, or undefined when it is neither built in nor registered. */
  async find(org: string, key: string): Promise<ActionDefinition | undefined> {
    const builtIn = builtInAction(key);
    if (builtIn) return builtIn;
    const known = this.#custom.get(org)?.get(key);
    if (known) return known;
    const stored = await this.#store.getAction(org, key);
    if (stored) this.#remember(org, stored);
    return stored;
  }

  async list(org: string): Promise<ActionDefinition[]> {
    const custom = await this.#store.listActions(org);
    for (const action of custom) this.#remember(org, action);
    return [...BUILT_IN_ACTIONS, ...custom];
  }

  async register(org: string, input: CustomActionInput): Promise<ActionDefinition> {
    const key = input.key;
    if (!CUSTOM_KEY.test(key) || key.length > 200) {
      throw new AnnalsError('ANN_ERR_ACTION_INVALID',
        `key '${key}' must be <category>.<name> in lower case letters, digits and _ (at most 200 characters)`,
        { pointer: '/key' });
    }
    if (builtInAction(key)) {
      throw new AnnalsError('ANN_ERR_ACTION_EXISTS', `'${key}' is a built-in action`, { pointer: '/key' });
    }
    const displayName = input.displayName.trim();
    const category = input.category.trim();
    if (displayName === '') throw new AnnalsError('ANN_ERR_ACTION_INVALID', 'displayName must not be blank', { pointer: '/displayName' });
    if (category === '') throw new AnnalsError('ANN_ERR_ACTION_INVALID', 'category must not be blank', { pointer: '/category' });
    if (!isText(displayName)) throw new AnnalsError('ANN_ERR_ACTION_INVALID', `displayName ${NOT_TEXT}`, { pointer: '/displayName' });
    if (!isText(category)) throw new AnnalsError('ANN_ERR_ACTION_INVALID', `category ${NOT_TEXT}`, { pointer: '/category' });
    if (input.operation !== undefined && !OPERATIONS.includes(input.operation)) {
      throw new AnnalsError('ANN_ERR_ACTION_INVALID', `operation must be one of ${OPERATIONS.join(', ')}`, { pointer: '/operation' });
    }
    const action = await this.#store.registerAction(org, {
      key, displayName, category, product: 'custom', operation: input.operation ?? 'other',
    });
    this.#remember(org, action);
    return action;
  }

  #remember(org: string, action: ActionDefinition): void {
    let map = this.#custom.get(org);
    if (!map) this.#custom.set(org, (map = new Map()));
    map.set(action.key, action);
  }
}
