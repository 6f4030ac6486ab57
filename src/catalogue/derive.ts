// Derives the built-in action catalogue from the seed table (audit-log-activities.txt).
// Pure functions only: scripts/derive-catalogue.ts is the CLI that reads the seed and writes
// src/catalogue/activities.json, and the tests call these to check the checked-in JSON.
//
// The seed is a table `Category | Activities |` whose Activities cell runs every activity of the
// category together with no separator, so the work here is splitting that text back into
// activities (splitActivities) and then classifying each one (classify).

import { actionKey, type Operation, type Product } from '../domain/action.js';

export interface SeedRow {
  category: string;
  /** The Activities cell, whitespace-normalised (a row spanning two lines is joined with a space). */
  text: string;
}

/** One entry of activities.json (the loader adds `builtIn: true`). */
export interface CatalogueEntry {
  key: string;
  displayName: string;
  category: string;
  product: Product;
  operation: Operation;
}

const normalise = (s: string): string => s.replace(/\s+/g, ' ').trim();

// ---------------------------------------------------------------------------------------------
// Parsing the table

/**
 * The rows of the seed's `Category | Activities |` table, in seed order. A row ends with `|`;
 * a line that does not is continued on the next one (the "Backup and restore" row breaks after
 * "data:"), and the pieces are joined with a space. The table ends at the first line that is
 * neither a row nor a continuation.
 */
export function parseSeedTable(text: string): SeedRow[] {
  const lines = text.split(/\r?\n/);
  const header = lines.findIndex((l) => /^\s*Category\s*\|\s*Activities\s*\|\s*$/.test(l));
  if (header < 0) throw new Error('seed: no "Category | Activities |" header');
  let i = header + 1;
  if (i < lines.length && /^\s*-+\s*\|\s*-+\s*\|\s*$/.test(lines[i])) i++;

  const rows: SeedRow[] = [];
  while (i < lines.length) {
    let line = lines[i];
    if (!line.includes('|')) break; // first line after the table
    while (!line.trimEnd().endsWith('|')) {
      i++;
      if (i >= lines.length) throw new Error(`seed: unterminated row: ${line}`);
      line += ' ' + lines[i];
    }
    i++;
    const m = /^([^|]+)\|(.*)\|\s*$/.exec(line);
    if (!m) throw new Error(`seed: malformed row: ${line}`);
    const category = normalise(m[1]);
    const cell = normalise(m[2]);
    if (!category || !cell) throw new Error(`seed: empty category or activities: ${line}`);
    rows.push({ category, text: cell });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Splitting a category's text into activities

/**
 * Words that start an activity. The seed's activities begin, with the exceptions below, with a
 * capitalised verb; that verb only ever appears capitalised at the start of an activity, so a
 * new activity begins before each of these words. Case-sensitive: a lower-case verb inside an
 * activity ("App failed installation", "... or disconnected custom email account") never splits.
 * Present-tense forms are the seed's own ("Create definition in Rovo", "Remove domain from
 * approved domains", "Link a review report", "Reuse site group name"), as is the typo "Unliked".
 */
const LEADING_VERBS: ReadonlySet<string> = new Set([
  'Accepted', 'Activated', 'Added', 'Approved', 'Archived', 'Assigned', 'Associated', 'Authorized',
  'Canceled', 'Changed', 'Claimed', 'Cleared', 'Closed', 'Commented', 'Completed', 'Configured',
  'Connected', 'Copied', 'Create', 'Created', 'Deactivated', 'Deleted', 'Denied', 'Detected',
  'Disabled', 'Disconnected', 'Downloaded', 'Duplicated', 'Edited', 'Enabled', 'Enforced',
  'Excluded', 'Exported', 'Failed', 'Generated', 'Granted', 'Imported', 'Initiated', 'Installed',
  'Invited', 'Joined', 'Link', 'Linked', 'Logged', 'Made', 'Moved', 'Opted', 'Partially',
  'Prompted', 'Published', 'Reacted', 'Reactivated', 'Reconfigured', 'Redacted', 'Refreshed',
  'Regenerated', 'Rejected', 'Released', 'Remove', 'Removed', 'Renamed', 'Requested', 'Resent',
  'Reset', 'Restored', 'Reuse', 'Revoked', 'Saved', 'Scheduled', 'Shared', 'Started', 'Stopped',
  'Suggested', 'Suspended', 'Switched', 'Synced', 'Transferred', 'Turned', 'Unclaimed',
  'Uninstalled', 'Unlink', 'Unliked', 'Unlinked', 'Unverified', 'Updated', 'Validated',
  'Verified', 'Viewed',
]);

/**
 * Category-specific leading words: nouns that start activities in that category (and, there,
 * only ever appear capitalised at the start of one). Scoped to the category so they cannot
 * cause a false split elsewhere.
 */
const LEADING_WORDS_BY_CATEGORY: Readonly<Record<string, readonly string[]>> = {
  // "App auto update attempt", "App enable success", … and "Third-party app Jira API request".
  'App actions': ['App', 'Third-party'],
  // "Attachment added to object", "Attachment deleted from object", "Attachment downloaded from object".
  'Jira Service Management assets actions': ['Attachment'],
  // "Language added to project", "Language availability updated", "Language removed from project",
  // "Project customer satisfaction setting updated", "Project default language updated".
  'Jira service management project actions': ['Language', 'Project'],
};

/**
 * Whole activities the leading-word heuristic gets wrong, carved out of the category's text
 * before the heuristic runs on the rest. Each must occur exactly once in its category (checked),
 * so a seed change that breaks one fails loudly instead of splitting differently.
 */
export const WHOLE_ACTIVITIES: Readonly<Record<string, readonly string[]>> = {
  // Subject first, and "Generated" (a leading verb) sits in the middle.
  'AI generated actions': [
    'Confluence Page Generated AI Content',
    'Confluence Page Triggered Policy Violation',
    'Jira Issue Generated AI Content',
    'Jira Issue Triggered Policy Violation',
  ],
  // Subject first; "API" and "Confluence" also occur mid-activity ("Created API token"), so
  // they cannot be leading words, nor can "New" / "Settings" usefully be.
  Settings: [
    'API keys searched',
    'API tokens searched',
    'Confluence company-connection created',
    'Confluence company-connection deleted',
    'New site created',
    'Settings update',
  ],
  // Subject first; "Loom" also occurs mid-activity ("Archived Loom video").
  'Loom User Actions': ['Loom video password updated'],
  // Subject first.
  'Security policies': ['Authentication policy type updated', 'External user types updated'],
  // Subject first; "Data" also occurs elsewhere capitalised ("Atlassian Data Lake").
  'Talent User Actions': ['All data removed', 'Data imported'],
  // Subject first.
  'User management': [
    'Admin group search within organization',
    'Admin users search within organization',
    'Product role migration',
  ],
};

/** Punctuation artefacts dropped from the end of an activity ("Partially completed backing up data:"). */
const TRAILING_ARTEFACT = /[:;,]+$/;

function splitByLeadingWords(category: string, text: string): string[] {
  const extra = LEADING_WORDS_BY_CATEGORY[category] ?? [];
  const words = text.split(' ').filter((w) => w !== '');
  const out: string[][] = [];
  for (const w of words) {
    if (out.length === 0 || LEADING_VERBS.has(w) || extra.includes(w)) out.push([w]);
    else out[out.length - 1].push(w);
  }
  return out.map((ws) => ws.join(' '));
}

/** Occurrences of `phrase` in `text` on word boundaries. */
function findPhrase(text: string, phrase: string): number[] {
  const at: number[] = [];
  for (let i = text.indexOf(phrase); i >= 0; i = text.indexOf(phrase, i + 1)) {
    const before = i === 0 || text[i - 1] === ' ';
    const end = i + phrase.length;
    const after = end === text.length || text[end] === ' ';
    if (before && after) at.push(i);
  }
  return at;
}

/**
 * A category's activities, in seed order. Whole activities (WHOLE_ACTIVITIES) are carved out
 * first; the remaining text is split before each leading word; trailing punctuation artefacts
 * are dropped. Throws if a listed whole activity is missing or ambiguous.
 */
export function splitActivities(category: string, text: string): string[] {
  const t = normalise(text);
  const spans: { start: number; end: number }[] = [];
  for (const phrase of WHOLE_ACTIVITIES[category] ?? []) {
    const at = findPhrase(t, phrase);
    if (at.length !== 1) {
      throw new Error(`seed: whole activity "${phrase}" occurs ${at.length} times in "${category}"`);
    }
    spans.push({ start: at[0], end: at[0] + phrase.length });
  }
  spans.sort((a, b) => a.start - b.start);

  const result: string[] = [];
  let pos = 0;
  for (const s of spans) {
    if (s.start < pos) throw new Error(`seed: overlapping whole activities in "${category}"`);
    result.push(...splitByLeadingWords(category, t.slice(pos, s.start)));
    result.push(t.slice(s.start, s.end));
    pos = s.end;
  }
  result.push(...splitByLeadingWords(category, t.slice(pos)));

  return result.map((a) => a.replace(TRAILING_ARTEFACT, '').trim()).filter((a) => a !== '');
}

// ---------------------------------------------------------------------------------------------
// Classifying an activity

/**
 * The product of a category, first matching prefix of the lower-cased category name wins:
 * a product's own categories ("Jira user actions", "Bitbucket Cloud workspace actions",
 * "Loom System Actions", …) map to that product; "Jira service management …" is tested before
 * "Jira". Everything else is organization-level administration (User management, Settings,
 * Security policies, Atlassian accounts, Organizations, Products, Custom domains, User-access
 * settings, User provisioning, Team Management, Backup and restore, App actions, AI generated
 * actions) → admin.
 */
const PRODUCT_PREFIXES: readonly (readonly [string, Product])[] = [
  ['jira service management', 'jira_service_management'],
  ['jira', 'jira'],
  ['confluence', 'confluence'],
  ['bitbucket', 'bitbucket'],
  ['loom', 'loom'],
  ['operations', 'operations'],
  ['compass', 'compass'],
  ['focus', 'focus'],
  ['rovo', 'rovo'],
  ['atlassian analytics', 'analytics'],
  ['talent', 'talent'],
];

export function productFor(category: string): Product {
  const c = category.toLowerCase();
  for (const [prefix, product] of PRODUCT_PREFIXES) if (c.startsWith(prefix)) return product;
  return 'admin';
}

/**
 * The operation of an activity's leading verb. Judgement calls:
 * - Granting (access, roles, permissions) changes a principal's permissions → update, not access;
 *   "access" is kept for authentication and sessions (Logged in/out, Logged in as user) and for
 *   API calls made as a principal ("Made request to API").
 * - Connected → create, Disconnected → delete (an integration/connection comes and goes);
 *   Linked/Unlinked/Associated change associations → update.
 * - Regenerated (tokens, codes, URLs), Copied, Duplicated, Imported, Authorized (an SSH/GPG key),
 *   Commented, Reacted, Joined (a membership) → create.
 * - Process-outcome verbs (Initiated, Completed, Partially, Failed, Denied) and requests/prompts
 *   (Requested, Prompted, Suggested, Resent, Detected, Validated) → other, unless overridden below.
 */
const VERB_OPERATIONS: Readonly<Record<string, Operation>> = {
  // create
  Added: 'create', Created: 'create', Create: 'create', Invited: 'create', Installed: 'create',
  Generated: 'create', Regenerated: 'create', Connected: 'create', Copied: 'create',
  Duplicated: 'create', Imported: 'create', Authorized: 'create', Commented: 'create',
  Reacted: 'create', Joined: 'create',
  // read
  Viewed: 'read', Downloaded: 'read', Exported: 'read',
  // update
  Updated: 'update', Edited: 'update', Changed: 'update', Renamed: 'update', Enabled: 'update',
  Disabled: 'update', Activated: 'update', Deactivated: 'update', Reactivated: 'update',
  Archived: 'update', Restored: 'update', Moved: 'update', Published: 'update',
  Refreshed: 'update', Associated: 'update', Assigned: 'update', Linked: 'update', Link: 'update',
  Unlinked: 'update', Unlink: 'update', Unliked: 'update', Configured: 'update',
  Reconfigured: 'update', Reset: 'update', Enforced: 'update', Excluded: 'update',
  Switched: 'update', Suspended: 'update', Transferred: 'update', Shared: 'update',
  Approved: 'update', Rejected: 'update', Accepted: 'update', Granted: 'update', Made: 'update',
  Saved: 'update', Scheduled: 'update', Canceled: 'update', Synced: 'update', Verified: 'update',
  Unverified: 'update', Claimed: 'update', Unclaimed: 'update', Opted: 'update',
  Released: 'update', Redacted: 'update', Closed: 'update', Started: 'update', Stopped: 'update',
  Turned: 'update', Reuse: 'update',
  // delete
  Deleted: 'delete', Removed: 'delete', Remove: 'delete', Revoked: 'delete',
  Uninstalled: 'delete', Disconnected: 'delete', Cleared: 'delete',
  // access
  Logged: 'access',
};

/**
 * Activities whose operation is not that of their first word: subject-first activities (the
 * verb comes later), and the judgement calls documented inline.
 */
const OPERATION_OVERRIDES: Readonly<Record<string, Operation>> = {
  // AI generated actions (subject first).
  'Confluence Page Generated AI Content': 'create',
  'Jira Issue Generated AI Content': 'create',
  'Confluence Page Triggered Policy Violation': 'other',
  'Jira Issue Triggered Policy Violation': 'other',
  // App actions (subject first): the operation attempted, whatever the outcome.
  'App auto updated failed (permission required)': 'update',
  'App auto update attempt': 'update',
  'App disable failure': 'update',
  'App disable success': 'update',
  'App enable failed': 'update',
  'App enable success': 'update',
  'App failed installation': 'create',
  'App failed installation (unsupported protocol)': 'create',
  'App failed uninstallation': 'delete',
  'App successful dependency installation': 'create',
  'App successful installation': 'create',
  'App successful uninstallation': 'delete',
  'App update failed': 'update',
  'App update success': 'update',
  'Third-party app Confluence API request': 'access',
  'Third-party app Jira API request': 'access',
  // API calls made as a principal (see VERB_OPERATIONS).
  'Made request to API': 'access',
  // Settings (subject first).
  'API keys searched': 'read',
  'API tokens searched': 'read',
  'Confluence company-connection created': 'create',
  'Confluence company-connection deleted': 'delete',
  'New site created': 'create',
  'Settings update': 'update',
  // Loom (subject first).
  'Loom video password updated': 'update',
  // Jira Service Management (subject first).
  'Attachment added to object': 'create',
  'Attachment deleted from object': 'delete',
  'Attachment downloaded from object': 'read',
  'Language added to project': 'create',
  'Language availability updated': 'update',
  'Language removed from project': 'delete',
  'Project customer satisfaction setting updated': 'update',
  'Project default language updated': 'update',
  // Security policies (subject first, or "Failed to <verb>").
  'Authentication policy type updated': 'update',
  'External user types updated': 'update',
  'Failed to update authentication policy for domain': 'update',
  'Failed to update authentication policy for user': 'update',
  // Talent (subject first).
  'All data removed': 'delete',
  'Data imported': 'create',
  // User management (subject first).
  'Admin group search within organization': 'read',
  'Admin users search within organization': 'read',
  'Product role migration': 'update',
  // Exports are reads, whichever stage of the export the event records.
  'Initiated Confluence blog export': 'read',
  'Initiated Confluence page export': 'read',
  'Initiated Confluence space export': 'read',
  'Completed Confluence blog export': 'read',
  'Completed Confluence page export': 'read',
  'Completed Confluence space export': 'read',
  'Denied Confluence page export': 'read',
  // Withdrawing a grant is, like the grant itself, a permission update (not a delete).
  'Removed dashboard access': 'update',
  'Removed data source access': 'update',
  'Removed permission to Jira project permission scheme': 'update',
  'Removed product access from group': 'update',
  'Removed role from group': 'update',
  'Revoked organization access from user': 'update',
  'Revoked product access from user': 'update',
  'Revoked role from user for product': 'update',
  'Revoked site access from user': 'update',
  // A membership created by accepting, like "Joined through invitation URL".
  'Accepted invitation to workspace': 'create',
  // A conversation is started, i.e. created.
  'Started chat with Rovo agent': 'create',
};

export function operationFor(displayName: string): Operation {
  const override = OPERATION_OVERRIDES[displayName];
  if (override) return override;
  const verb = displayName.split(' ')[0];
  return VERB_OPERATIONS[verb] ?? 'other';
}

export function classify(category: string, displayName: string): { product: Product; operation: Operation } {
  return { product: productFor(category), operation: operationFor(displayName) };
}

// ---------------------------------------------------------------------------------------------
// The catalogue

/** Every activity of the seed as a catalogue entry: categories in seed order, activities in seed order. */
export function deriveCatalogue(seedText: string): CatalogueEntry[] {
  const entries: CatalogueEntry[] = [];
  for (const { category, text } of parseSeedTable(seedText)) {
    for (const displayName of splitActivities(category, text)) {
      entries.push({ key: actionKey(category, displayName), displayName, category, ...classify(category, displayName) });
    }
  }
  return entries;
}

/** Keys that more than one entry has, with the display names that collide. */
export function duplicateKeys(entries: readonly CatalogueEntry[]): { key: string; displayNames: string[] }[] {
  const byKey = new Map<string, string[]>();
  for (const e of entries) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e.displayName]);
  return [...byKey].filter(([, names]) => names.length > 1).map(([key, displayNames]) => ({ key, displayNames }));
}

/** activities.json's exact text for `entries`. */
export function serialiseCatalogue(entries: readonly CatalogueEntry[]): string {
  return JSON.stringify(entries, null, 2) + '\n';
}
