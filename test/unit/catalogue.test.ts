import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { BUILT_IN_ACTIONS, CATEGORIES, builtInAction } from '../../src/catalogue/catalogue.js';
import {
  classify,
  deriveCatalogue,
  duplicateKeys,
  parseSeedTable,
  serialiseCatalogue,
  splitActivities,
} from '../../src/catalogue/derive.js';
import { OPERATIONS, actionKey, type ActionDefinition, type Product } from '../../src/domain/action.js';

const seedText = readFileSync(new URL('../../../shared/seed/audit-log-activities.txt', import.meta.url), 'utf8');
const checkedIn = readFileSync(new URL('../../src/catalogue/activities.json', import.meta.url), 'utf8');

const PRODUCTS: readonly Product[] = [
  'admin', 'jira', 'confluence', 'bitbucket', 'loom', 'jira_service_management', 'operations',
  'compass', 'focus', 'rovo', 'analytics', 'talent', 'custom',
];

/**
 * The seed's table read independently of parseSeedTable: everything between the `---|---|`
 * line and the first line without a `|`, joined into one line and cut at the `|`s into
 * alternating category / activities cells.
 */
function seedCells(): { category: string; text: string }[] {
  const lines = seedText.split(/\r?\n/);
  const start = lines.findIndex((l) => l.startsWith('---|')) + 1;
  const end = lines.findIndex((l, i) => i >= start && !l.includes('|'));
  const cells = lines.slice(start, end).join(' ').split('|').map((c) => c.replace(/\s+/g, ' ').trim());
  assert.equal(cells.pop(), ''); // after the last `|`
  const out: { category: string; text: string }[] = [];
  for (let i = 0; i < cells.length; i += 2) out.push({ category: cells[i], text: cells[i + 1] });
  return out;
}

/** The only documented artefact: a colon ending a word ("Partially completed backing up data:"). */
const dropArtefacts = (s: string): string => s.replace(/:(?= |$)/g, '');

function inCategory(category: string): ActionDefinition[] {
  return BUILT_IN_ACTIONS.filter((a) => a.category === category);
}

test('every word of every category is accounted for, in order', () => {
  const cells = seedCells();
  assert.equal(cells.length, 33);
  for (const { category, text } of cells) {
    const names = inCategory(category).map((a) => a.displayName);
    assert.ok(names.length > 0, category);
    assert.equal(names.join(' '), dropArtefacts(text), category);
  }
});

test('exactly 33 categories, named as in the seed, in seed order', () => {
  const expected = seedCells().map((c) => c.category);
  assert.equal(CATEGORIES.length, 33);
  assert.deepEqual([...CATEGORIES], expected);
  assert.deepEqual(parseSeedTable(seedText).map((r) => r.category), expected);
  for (const name of ['Jira service management product actions', 'Loom System Actions', 'User-access settings', 'Backup and restore']) {
    assert.ok(CATEGORIES.includes(name), name);
  }
});

test('keys are unique, well-formed and derived from category and display name', () => {
  const keys = BUILT_IN_ACTIONS.map((a) => a.key);
  assert.equal(new Set(keys).size, keys.length);
  assert.deepEqual(duplicateKeys(BUILT_IN_ACTIONS), []);
  for (const a of BUILT_IN_ACTIONS) {
    assert.match(a.key, /^[a-z0-9_]+\.[a-z0-9_]+$/);
    assert.equal(a.key, actionKey(a.category, a.displayName));
    assert.equal(a.builtIn, true);
    assert.equal(builtInAction(a.key), a);
  }
  assert.equal(builtInAction('no_such.action'), undefined);
});

test('tricky splits are single activities with the seed’s exact wording', () => {
  const tricky: [string, string][] = [
    ['AI generated actions', 'Confluence Page Generated AI Content'],
    ['AI generated actions', 'Jira Issue Generated AI Content'],
    ['App actions', 'App auto updated failed (permission required)'],
    ['App actions', 'App failed installation (unsupported protocol)'],
    ['App actions', 'Third-party app Jira API request'],
    ['Jira service management project actions', 'Language added to project'],
    ['Jira service management project actions', 'Project customer satisfaction setting updated'],
    ['Jira service management project actions', 'Turned off email support or disconnected custom email account'],
    ['Jira Service Management assets actions', 'Attachment added to object'],
    ['Talent User Actions', 'All data removed'],
    ['Talent User Actions', 'Data imported'],
    ['Settings', 'New site created'],
    ['Settings', 'Settings update'],
    ['Settings', 'API keys searched'],
    ['Settings', 'Confluence company-connection created'],
    ['Security policies', 'External user types updated'],
    ['Security policies', 'Authentication policy type updated'],
    ['Security policies', 'Changed user’s authentication policy'],
    ['Loom User Actions', 'Loom video password updated'],
    ['User management', 'Admin group search within organization'],
    ['User management', 'Product role migration'],
    ['Backup and restore', 'Partially completed backing up data'],
    ['Backup and restore', 'Failed to back up data'],
    // The seed's typos are kept.
    ['Jira service management product actions', 'Enabled HIPPA-compliant alert notifications'],
    ['User provisioning', 'Unliked group from SCIM'],
    ['User-access settings', 'Remove domain from approved domains'],
    ['Rovo user actions', 'Create definition in Rovo'],
    ['Focus user actions', 'Link a review report'],
    ['Confluence user actions', 'Made request to API'],
    ['Jira user actions', 'Made request to API'],
  ];
  for (const [category, name] of tricky) {
    const a = builtInAction(actionKey(category, name));
    assert.ok(a, `${category}: ${name}`);
    assert.equal(a.displayName, name);
    assert.equal(a.category, category);
  }
  const turned = inCategory('Jira service management project actions').map((a) => a.displayName).slice(-2);
  assert.deepEqual(turned, [
    'Turned off email support or disconnected custom email account',
    'Turned on email support or connected custom email account',
  ]);
  assert.deepEqual(inCategory('Talent User Actions').map((a) => a.displayName), ['All data removed', 'Data imported']);
  assert.ok(!BUILT_IN_ACTIONS.some((a) => a.displayName.endsWith(':')));
  assert.deepEqual(inCategory('Backup and restore').map((a) => a.displayName), [
    'Completed backing up data',
    'Partially completed backing up data',
    'Failed to back up data',
    'Completed restoring data',
    'Partially restored data',
    'Failed to restore data',
  ]);
});

test('ordinary activities are present under their keys', () => {
  for (const key of [
    'user_management.added_user_to_group',
    'user_management.granted_product_access_to_user',
    'user_management.logged_in_as_user',
    'settings.created_audit_log_webhook_registration',
    'settings.exported_organization_audit_log',
    'security_policies.changed_user_s_authentication_policy',
    'atlassian_accounts.logged_in_to_account',
    'atlassian_analytics_actions.edited_atlassian_data_lake_connection',
    'bitbucket_cloud_repository_actions.updated_repository_pull_request_settings',
    'bitbucket_cloud_workspace_actions.created_oauth_2_0_consumer',
    'confluence_user_actions.viewed_confluence_page',
    'jira_user_actions.updated_screen_scheme_item',
    'jira_service_management_project_actions.updated_virtual_agent_standards_flow',
    'jira_service_management_project_actions.updated_virtual_agent_atlassian_intelligence_answer_settings',
    'operations_team_actions.added_on_call_schedule',
    'rovo_admin_actions.created_3p_connector_connection',
    'team_management.unlinked_team_from_scim_group',
    'user_provisioning.updated_user_identifier_to_user_principal_name_for_identity_provider',
  ]) {
    assert.ok(builtInAction(key), key);
  }
  // Split points between ordinary neighbours.
  const compass = inCategory('Compass user actions').map((a) => a.displayName);
  assert.deepEqual(compass, [
    'Changed Compass permission policy',
    'Created Compass custom field',
    'Created Compass incoming webhook',
    'Deleted Compass custom field',
    'Deleted compass incoming webhook',
    'Edited Compass custom field',
  ]);
});

test('the checked-in JSON equals a fresh derivation from the seed', () => {
  const fresh = deriveCatalogue(seedText);
  assert.equal(checkedIn, serialiseCatalogue(fresh));
  assert.equal(BUILT_IN_ACTIONS.length, fresh.length);
  const rows = parseSeedTable(seedText);
  assert.equal(fresh.length, rows.reduce((n, r) => n + splitActivities(r.category, r.text).length, 0));
});

test('every entry has a valid product and operation', () => {
  for (const a of BUILT_IN_ACTIONS) {
    assert.ok(PRODUCTS.includes(a.product), `${a.key}: ${a.product}`);
    assert.ok(OPERATIONS.includes(a.operation), `${a.key}: ${a.operation}`);
  }
  const productOf = (c: string): Product => inCategory(c)[0].product;
  assert.equal(productOf('Jira user actions'), 'jira');
  assert.equal(productOf('Jira service management product actions'), 'jira_service_management');
  assert.equal(productOf('Jira Service Management assets actions'), 'jira_service_management');
  assert.equal(productOf('Confluence user actions'), 'confluence');
  assert.equal(productOf('Bitbucket Cloud workspace actions'), 'bitbucket');
  assert.equal(productOf('Loom System Actions'), 'loom');
  assert.equal(productOf('Operations Team Actions'), 'operations');
  assert.equal(productOf('Atlassian Analytics actions'), 'analytics');
  assert.equal(productOf('Atlassian accounts'), 'admin');
  assert.equal(productOf('Talent User Actions'), 'talent');
  assert.equal(productOf('User management'), 'admin');
  assert.equal(productOf('Backup and restore'), 'admin');
  for (const c of CATEGORIES) assert.equal(new Set(inCategory(c).map((a) => a.product)).size, 1, c);
});

test('operation spot checks', () => {
  const op = (category: string, name: string) => builtInAction(actionKey(category, name))?.operation;
  assert.equal(op('User management', 'Added user to group'), 'create');
  assert.equal(op('User management', 'Removed user from group'), 'delete');
  assert.equal(op('User management', 'Granted product access to user'), 'update');
  assert.equal(op('User management', 'Revoked product access from user'), 'update');
  assert.equal(op('User management', 'Logged in as user'), 'access');
  assert.equal(op('Atlassian accounts', 'Logged out of account'), 'access');
  assert.equal(op('Settings', 'Exported organization audit log'), 'read');
  assert.equal(op('Settings', 'API keys searched'), 'read');
  assert.equal(op('Settings', 'Revoked API token'), 'delete');
  assert.equal(op('Settings', 'Confluence company-connection created'), 'create');
  assert.equal(op('Settings', 'Settings update'), 'update');
  assert.equal(op('Loom User Actions', 'Loom video password updated'), 'update');
  assert.equal(op('App actions', 'App enable success'), 'update');
  assert.equal(op('App actions', 'App successful uninstallation'), 'delete');
  assert.equal(op('Confluence user actions', 'Viewed Confluence page'), 'read');
  assert.equal(op('Bitbucket Cloud workspace actions', 'Uninstalled application'), 'delete');
  assert.equal(op('Talent User Actions', 'All data removed'), 'delete');
  assert.equal(op('Custom domains', 'Detected a threat for custom domain'), 'other');
  assert.deepEqual(classify('Jira user actions', 'Created Jira issue'), { product: 'jira', operation: 'create' });
});

test('a built-in action keeps its product and category (full-text rows are indexed under them)', () => {
  // The embedded store's full-text rows carry a token of each event's product and category as they were when it was
  // stored (src/store/sqlite/sqlite-fts.ts), and `product:`/`category:` ask for those tokens: moving a built-in
  // action to another product or category would hide its older events from them. A change that must move one
  // needs a migration that rebuilds the full-text index (as schema 6's does); then update this digest.
  const mapping = BUILT_IN_ACTIONS.map((a) => `${a.key}\t${a.product}\t${a.category}`).sort().join('\n');
  assert.equal(createHash('sha256').update(mapping).digest('hex'), '96eb2ee899f0334fb19fc1efb8f3f4af8b5f528c977eb76da554d862d5eff0ad');
});
