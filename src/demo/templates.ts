// How each catalogue action turns into a demo event: who does it (audience), what it is about (subject and other
// context entities), how often (weight), how often it fails, and how its message reads. One template per category,
// refined by keywords of the action's display name; the result is an ActionPlan per action, computed once.

import type { ActionDefinition } from '../domain/action.js';
import type { KindName } from './content.js';

/** Who may perform an action. Each audience is a pool of users; see demo-events.ts. */
export type Audience = 'all' | 'eng' | 'support' | 'productAdmins' | 'orgAdmins' | 'tokenHolders';
/** Who the actor is: a person (from the audience), Atlassian itself, the SCIM directory, or an app. */
export type ActorKind = 'user' | 'system' | 'scim' | 'app';
/** The main thing acted on: a content pool, the actor's own account, or another user. */
export type Subject = KindName | 'self' | 'target';
export type Slot = 'user' | 'group' | 'team';

export interface ActionPlan {
  index: number;
  key: string;
  displayName: string;
  category: string;
  product: string;
  /** Relative frequency among all actions (any scale). */
  weight: number;
  actorKind: ActorKind;
  audience: Audience;
  /** Chance that an app/integration of the action's product acts instead of a person. */
  appShare: number;
  /** Chance that a person holding an API token uses it (API-only actions: 1). */
  tokenShare: number;
  /** Chance that an org admin uses their admin API key. */
  adminKeyShare: number;
  subject: Subject;
  /** Adds a target user to the context (unless the subject already is one). */
  withUser: boolean;
  /** Adds a group (of `groupKind`) to the context. */
  withGroup: boolean;
  groupKind: KindName;
  /** One more context entity (e.g. the product access is granted to). */
  extra: KindName | null;
  /** Probability of outcome 'failure' (1: the action is a failure by name). */
  failure: number;
  failureKind: 'login' | 'api' | 'named' | 'read' | 'write';
  /** Attach API request metadata (method, path, status). */
  api: boolean;
  /** The display name cut around the words where names go: segments.length === slots.length + 1. */
  segments: readonly string[];
  slots: readonly Slot[];
  /** Append the subject's label to the message (when no slot names it), between labelPrefix and labelSuffix. */
  appendLabel: boolean;
  labelPrefix: string;
  labelSuffix: string;
  /** The product whose apps may act (third-party app requests act in Jira or Confluence). */
  appProduct: string;
}

interface Template {
  /** Share of all events, in percent (normalised over all categories). */
  share: number;
  audience: Audience;
  /** First matching pattern (on the lower-cased display name) picks the subject. */
  subjects: readonly (readonly [RegExp, Subject])[];
  fallback: Subject;
  /** Actions matching this go to the product (or org) admins instead. */
  adminIf?: RegExp;
  adminAudience?: Audience;
  systemIf?: RegExp;
  scimIf?: RegExp;
  appIf?: RegExp;
  /** Chance of an app acting for create/update/delete actions of the category. */
  appShare?: number;
  tokenShare?: number;
  adminKeyShare?: number;
  withUserIf?: RegExp;
  withGroupIf?: RegExp;
  groupKind?: KindName;
  extras?: readonly (readonly [RegExp, KindName])[];
  /** Per-action weight overrides, by the key's activity part. */
  weights?: Readonly<Record<string, number>>;
}

// A target person in the display name: "Added user to group", "Removed repository member"; not "user roles" etc.
const USER_WORD = /\b(user|member)\b(?![s-])(?! (identifier|principal|roles|status|gpg|ssh|invitation|provisioning|access|counts|types|notifications))/;
const GROUP_WORD = /\bgroup\b(?! (permission|name|member))/;
const TEAM_WORD = /\bteam\b(?! (name|description|member|role|alert|heartbeat|managed|creation))/;

const TEMPLATES: Readonly<Record<string, Template>> = {
  'Jira user actions': {
    share: 36, audience: 'all', appShare: 0.04, tokenShare: 0.06,
    subjects: [
      [/sprint/, 'sprint'], [/issue security level/, 'securityLevel'], [/issue security scheme/, 'securityScheme'],
      [/permission scheme/, 'permissionScheme'], [/screen scheme item/, 'screenSchemeItem'], [/screen scheme/, 'screenScheme'],
      [/screen (field|tab)/, 'screenField'], [/screen/, 'screen'], [/issue type/, 'issueType'], [/project role/, 'projectRole'],
      [/global permission/, 'jiraGlobalPermission'], [/of a jira project/, 'jiraProject'],
    ],
    fallback: 'issue',
    adminIf: /permission|scheme|screen|issue type|security level|project role|classification level of a jira project/,
    withUserIf: /member/,
    withGroupIf: /global permission|permission to jira project permission scheme/,
    weights: {
      viewed_jira_issue: 420, edited_jira_issue: 170, created_jira_issue: 45, made_request_to_api: 35, deleted_jira_issue: 3,
      updated_sprint: 5, started_sprint: 3, closed_sprint: 3, created_sprint: 3, updated_classification_level_of_a_jira_issue: 1.5,
    },
  },
  'Confluence user actions': {
    share: 24, audience: 'all', appShare: 0.02, tokenShare: 0.05,
    subjects: [
      [/blog/, 'blog'], [/whiteboard/, 'whiteboard'], [/database/, 'database'], [/live doc/, 'liveDoc'],
      [/global permission/, 'confluenceGlobalPermission'], [/default space permission/, 'defaultSpacePermission'],
      [/space permission|space export|of confluence space/, 'space'],
    ],
    fallback: 'page',
    adminIf: /permission|classification|redacted/,
    withUserIf: /restriction/,
    withGroupIf: /permission/,
    weights: {
      viewed_confluence_page: 300, edited_confluence_page: 70, created_confluence_page: 18, published_confluence_page: 14,
      viewed_confluence_blog: 25, viewed_confluence_whiteboard: 10, viewed_confluence_database: 6, made_request_to_api: 20,
      created_confluence_blog: 2, edited_confluence_blog: 3, created_confluence_whiteboard: 3, edited_confluence_live_doc: 6,
      created_confluence_live_doc: 2, deleted_confluence_page: 3, initiated_confluence_page_export: 2, completed_confluence_page_export: 2,
      downloaded_confluence_page_export: 2,
    },
  },
  'Atlassian accounts': {
    share: 7, audience: 'all', subjects: [[/deactivated|reactivated|deleted|deletion/, 'target']], fallback: 'self',
    adminIf: /deactivated|reactivated|deleted|deletion/, adminAudience: 'orgAdmins',
    weights: {
      logged_in_to_account: 60, logged_out_of_account: 25, requested_password_recovery_link: 3, reset_password_with_recovery_link: 2,
      changed_email_address: 0.5, deactivated_account: 0.5, reactivated_account: 0.3, scheduled_deletion_of_account: 0.2,
      canceled_deletion_of_account: 0.1, deleted_account_permanently: 0.1,
    },
  },
  'Bitbucket Cloud repository actions': {
    share: 3.2, audience: 'eng', tokenShare: 0.1, subjects: [], fallback: 'repository',
    adminIf: /permission|privacy|transfer|restrictions|deploy key|identifier|deleted repository/,
    withUserIf: /member/, withGroupIf: /group permission/, groupKind: 'bbGroup',
    weights: { downloaded_repository: 6, updated_repository: 3, added_repository_member: 2, updated_repository_member: 1.5, created_repository: 1 },
  },
  'Bitbucket Cloud workspace actions': {
    share: 0.5, audience: 'productAdmins',
    subjects: [[/group/, 'bbGroup'], [/ssh key/, 'sshKey'], [/oauth/, 'oauthConsumer'], [/application/, 'bbApp']],
    fallback: 'bbWorkspace', withUserIf: /member|invitation|invited user/,
    weights: { accepted_invitation_to_workspace: 4, added_workspace_member: 3, added_member_to_workspace_group: 3 },
  },
  'Bitbucket Cloud project actions': {
    share: 0.25, audience: 'productAdmins', subjects: [], fallback: 'bbProject',
    withUserIf: /member/, withGroupIf: /group permission/, groupKind: 'bbGroup',
  },
  'Bitbucket Cloud user actions': {
    share: 0.5, audience: 'eng',
    subjects: [[/ssh key/, 'sshKey'], [/gpg key/, 'gpgKey'], [/app password/, 'appPassword']], fallback: 'self',
    weights: { authorized_user_ssh_key: 4, added_bitbucket_app_password: 2 },
  },
  'Jira service management project actions': {
    share: 1.6, audience: 'support',
    subjects: [
      [/request type/, 'requestType'], [/queue/, 'queue'], [/sla calendar/, 'slaCalendar'], [/\bsla\b/, 'sla'],
      [/report/, 'jsmReport'], [/form/, 'form'], [/portal group/, 'portalGroup'], [/customers/, 'customer'],
      [/customer organization membership/, 'customerOrg'], [/language/, 'language'], [/invited team/, 'team'],
    ],
    fallback: 'serviceDesk', extras: [[/invited team/, 'serviceDesk']],
    adminIf: /setting|sla|request type|portal|language|features|pipelines|virtual agent|email|widget|knowledge base|permissions|channels/,
    weights: { added_customers_to_project: 5, created_new_customers: 5, updated_queue: 4, created_queue: 2, exported_reports: 2, exported_form_responses: 2 },
  },
  'Jira service management product actions': {
    share: 0.5, audience: 'productAdmins',
    subjects: [
      [/topic/, 'helpTopic'], [/help center/, 'helpCenter'], [/customer organization/, 'customerOrg'], [/service/, 'service'],
      [/slack/, 'chatSlack'], [/microsoft teams/, 'chatTeams'], [/zoom/, 'chatZoom'],
    ],
    fallback: 'supportSite',
  },
  'Jira Service Management assets actions': {
    share: 1.2, audience: 'support',
    subjects: [[/object schema/, 'objectSchema'], [/object type/, 'objectType']], fallback: 'assetObject',
    adminIf: /schema|object type|role/, withUserIf: /users or groups/,
    weights: { updated_object_attribute_value: 12, added_object_attribute_value: 6, created_object: 5, attachment_added_to_object: 2, attachment_downloaded_from_object: 2 },
  },
  'Loom User Actions': {
    share: 3, audience: 'all',
    subjects: [[/workspace user/, 'target'], [/video/, 'video'], [/\bspace\b/, 'loomSpace']], fallback: 'loomWorkspace',
    adminIf: /workspace|retention/, withUserIf: /members/, withGroupIf: /workspace group/, groupKind: 'loomGroup',
    weights: {
      viewed_loom_video: 40, created_loom_video: 10, reacted_to_loom_video: 10, commented_on_loom_video: 8, shared_loom_video: 6,
      updated_loom_video: 4, downloaded_loom_video: 2, archived_loom_video: 1,
    },
  },
  'Loom System Actions': {
    share: 0.3, audience: 'all', systemIf: /./,
    subjects: [[/video/, 'video'], [/workspace group/, 'loomGroup'], [/user status/, 'target']], fallback: 'loomWorkspace',
    withUserIf: /group member/,
  },
  'Operations Global Actions': {
    share: 1.4, audience: 'eng',
    subjects: [
      [/alerts filter/, 'alertsFilter'], [/\balert\b/, 'alert'], [/integration/, 'opsIntegration'], [/custom role|user roles/, 'customRole'],
      [/maintenance/, 'maintenance'], [/notification/, 'roleNotification'], [/team/, 'opsTeam'], [/heartbeat/, 'opsTeam'],
    ],
    fallback: 'opsTeam',
    adminIf: /integration|role|heartbeat/, appIf: /^(created|updated) alert$/, appShare: 0.7, withUserIf: /user roles/,
    weights: { created_alert: 30, updated_alert: 20, deleted_alert: 1 },
  },
  'Operations Team Actions': {
    share: 0.6, audience: 'eng',
    subjects: [
      [/team member/, 'opsTeam'], [/schedule|override/, 'schedule'], [/rotation/, 'rotation'], [/escalation/, 'escalation'],
      [/routing/, 'routingRule'], [/alert policy/, 'alertPolicy'], [/heartbeat/, 'heartbeat'], [/role/, 'teamRole'],
    ],
    fallback: 'opsTeam', withUserIf: /team member/,
    weights: { added_override: 4, updated_override: 4, updated_on_call_schedule: 2, updated_rotation: 2 },
  },
  'Operations User Actions': {
    share: 0.15, audience: 'eng', subjects: [[/forwarding/, 'forwardingRule']], fallback: 'notificationRule',
  },
  'App actions': {
    share: 1.5, audience: 'productAdmins', adminAudience: 'productAdmins',
    subjects: [[/third-party app jira/, 'issue'], [/third-party app confluence/, 'page']], fallback: 'app',
    appIf: /third-party app/, systemIf: /auto update/,
    weights: {
      third_party_app_jira_api_request: 40, third_party_app_confluence_api_request: 20, app_auto_update_attempt: 5,
      app_update_success: 3, app_successful_installation: 2,
    },
  },
  'AI generated actions': {
    share: 0.8, audience: 'all', subjects: [[/confluence/, 'page']], fallback: 'issue',
    weights: { jira_issue_generated_ai_content: 10, confluence_page_generated_ai_content: 8 },
  },
  'Atlassian Analytics actions': {
    share: 0.9, audience: 'all',
    subjects: [
      [/chart/, 'chart'], [/control/, 'control'], [/template/, 'dashboardTemplate'], [/dashboard/, 'dashboard'],
      [/data share/, 'dataShare'], [/data source|data lake/, 'dataSource'], [/foreign key/, 'table'],
    ],
    fallback: 'dashboard', adminIf: /data source|data lake|data share|foreign key|access/, withUserIf: /granted|removed .*access/,
    weights: { updated_dashboard: 5, updated_chart: 5, created_chart: 3, downloaded_chart: 3, exported_dashboard: 2 },
  },
  'Rovo user actions': {
    share: 0.9, audience: 'all', subjects: [[/definition/, 'definition']], fallback: 'rovoAgent',
    weights: { started_chat_with_rovo_agent: 30, updated_rovo_agent: 3, created_rovo_agent: 2 },
  },
  'Rovo admin actions': {
    share: 0.05, audience: 'orgAdmins', subjects: [[/bookmark/, 'bookmark']], fallback: 'connector',
  },
  'Focus user actions': {
    share: 0.5, audience: 'all',
    subjects: [[/focus area type/, 'focusAreaType'], [/review report/, 'reviewReport'], [/\bview\b/, 'focusView'], [/site/, 'mainSite']],
    fallback: 'focusArea', weights: { created_focus_area_update: 8, edited_focus_area: 4, edited_focus_area_update: 3 },
  },
  'Compass user actions': {
    share: 0.1, audience: 'eng', subjects: [[/custom field/, 'compassField'], [/webhook/, 'compassWebhook']], fallback: 'mainSite',
    adminIf: /permission policy/,
  },
  'Talent User Actions': { share: 0.03, audience: 'productAdmins', subjects: [], fallback: 'dataset' },
  'Team Management': {
    share: 0.4, audience: 'all', subjects: [], fallback: 'team',
    withUserIf: /\buser\b(?!-)/, withGroupIf: /group/,
    extras: [[/confluence space/, 'space'], [/jira project/, 'jiraProject']],
    weights: { added_user_to_team: 8, removed_user_from_team: 3, requested_to_join_team: 3, created_team: 2 },
  },
  'User management': {
    share: 1, audience: 'orgAdmins', tokenShare: 0, adminKeyShare: 0.25,
    subjects: [
      [/created access request|joined through/, 'self'], [/search/, 'org'], [/group/, 'group'], [/\buser\b|access request/, 'target'],
      [/exported users from site/, 'site'], [/product|role/, 'product'],
    ],
    fallback: 'org', withUserIf: /\buser\b(?!-)/,
    extras: [[/product|role/, 'product']],
    adminIf: /^(?!created access request|joined through)/,
    weights: {
      added_user_to_group: 10, removed_user_from_group: 5, granted_product_access_to_user: 4, invited_user_to_organization: 3,
      admin_users_search_within_organization: 6, admin_group_search_within_organization: 2, created_access_request: 2,
      approved_access_request: 2, joined_through_approved_domains: 2,
    },
  },
  'User provisioning': {
    share: 0.6, audience: 'orgAdmins',
    subjects: [
      [/invited user/, 'target'], [/google/, 'googleDirectory'], [/directory|troubleshooting|api key/, 'directory'],
      [/group/, 'group'], [/\buser\b(?! provisioning)|account/, 'target'],
    ],
    fallback: 'directory', withUserIf: /\buser\b(?!-| provisioning)/,
    scimIf: /^(added|removed|synced|updated|renamed|made|linked|unlinked|unliked|invited)\b(?!.*(directory|google workspace invite))/,
    systemIf: /automatic sync/,
    weights: {
      updated_account_profile_for_user: 8, added_user_to_group: 8, removed_user_from_group: 4, synced_user_to_site: 4,
      completed_automatic_sync_from_external_directory: 6, initiated_automatic_sync_from_external_directory: 6,
      added_user_from_identity_provider: 3,
    },
  },
  'Security policies': {
    share: 0.25, audience: 'orgAdmins',
    subjects: [
      [/data security policy/, 'dataPolicy'], [/classification/, 'classification'], [/saml/, 'identityProvider'],
      [/external user types/, 'org'], [/authentication polic/, 'authPolicy'],
      [/(two-step|password|session).*\buser\b|\buser\b.*(two-step|password|session)|external user/, 'target'],
      [/two-step|password|session|api tokens/, 'authPolicy'], [/polic/, 'orgPolicy'],
    ],
    fallback: 'org', withUserIf: /\buser\b(?!-)/, extras: [[/domain/, 'domain']],
    weights: { viewed_organization_policies: 4, validated_organization_policy: 2 },
  },
  'Settings': {
    share: 0.3, audience: 'orgAdmins', adminKeyShare: 0.3,
    subjects: [
      [/api token/, 'apiToken'], [/api key/, 'adminApiKey'], [/organization admin/, 'target'], [/application tunnel/, 'tunnel'],
      [/audit log webhook/, 'auditWebhook'], [/directory/, 'directory'], [/domain/, 'domain'], [/site/, 'site'],
      [/company-connection/, 'companyConnection'], [/account profile/, 'target'],
    ],
    fallback: 'org', extras: [[/directory.*domain|domain.*directory/, 'domain']],
    weights: { settings_update: 3, api_tokens_searched: 2, exported_organization_audit_log: 2 },
  },
  'User-access settings': {
    share: 0.12, audience: 'orgAdmins',
    subjects: [[/domain/, 'domain'], [/third-party/, 'thirdParty'], [/invitation url/, 'invitationLink']], fallback: 'site',
  },
  'Organizations': {
    share: 0.25, audience: 'orgAdmins', adminKeyShare: 0.7, subjects: [], fallback: 'org',
    weights: { viewed_organization_users: 5 },
  },
  'Products': { share: 0.04, audience: 'orgAdmins', subjects: [[/sandbox/, 'sandbox']], fallback: 'product' },
  'Custom domains': {
    share: 0.03, audience: 'orgAdmins', subjects: [], fallback: 'customDomain', systemIf: /detected a threat/,
    extras: [[/product/, 'product']],
  },
  'Backup and restore': {
    share: 0.04, audience: 'orgAdmins', subjects: [], fallback: 'backup', systemIf: /./,
    weights: { completed_backing_up_data: 10, partially_completed_backing_up_data: 1, failed_to_back_up_data: 1 },
  },
};

const OPERATION_WEIGHT: Readonly<Record<string, number>> = { read: 3, access: 3, update: 1.2, create: 1, delete: 0.5, other: 0.8 };

/** Failure by name: "App update failed", "Failed to back up data", "Denied Confluence page export". */
const FAILS_BY_NAME = /\bfail(ed|ure)?\b|^denied\b/;

function slotsOf(displayName: string, kinds: ReadonlySet<Slot>): { segments: string[]; slots: Slot[] } {
  const lower = displayName.toLowerCase();
  const found: { at: number; end: number; slot: Slot }[] = [];
  const find = (slot: Slot, re: RegExp): void => {
    if (!kinds.has(slot)) return;
    const m = re.exec(lower);
    if (m) found.push({ at: m.index, end: m.index + m[0].length, slot });
  };
  find('user', USER_WORD);
  find('group', GROUP_WORD);
  find('team', TEAM_WORD);
  found.sort((a, b) => a.at - b.at);
  const segments: string[] = [];
  let from = 0;
  for (const f of found) {
    segments.push(displayName.slice(from, f.end));
    from = f.end;
  }
  segments.push(displayName.slice(from));
  return { segments, slots: found.map((f) => f.slot) };
}

/** Builds the plan of every action. Throws if a category has no template (the catalogue grew). */
export function buildPlans(actions: readonly ActionDefinition[]): ActionPlan[] {
  const perCategory = new Map<string, ActionDefinition[]>();
  for (const a of actions) {
    const list = perCategory.get(a.category) ?? [];
    list.push(a);
    perCategory.set(a.category, list);
  }
  const plans: ActionPlan[] = [];
  for (const [category, list] of perCategory) {
    const t = TEMPLATES[category];
    if (!t) throw new Error(`demo: no template for category '${category}'`);
    const raw = list.map((a) => {
      const activity = a.key.slice(a.key.indexOf('.') + 1);
      const name = a.displayName.toLowerCase();
      const failsByName = FAILS_BY_NAME.test(name);
      let w = t.weights?.[activity] ?? OPERATION_WEIGHT[a.operation] ?? 1;
      if (failsByName && t.weights?.[activity] === undefined) w *= 0.3;
      return { a, activity, name, failsByName, w };
    });
    const total = raw.reduce((s, r) => s + r.w, 0);
    for (const { a, activity, name, failsByName, w } of raw) {
      const subject = t.subjects.find(([re]) => re.test(name))?.[1] ?? t.fallback;
      const api = activity === 'made_request_to_api' || /^third_party_app_.*_api_request$/.test(activity);
      let actorKind: ActorKind = 'user';
      if (t.systemIf?.test(name)) actorKind = 'system';
      else if (t.scimIf?.test(name)) actorKind = 'scim';
      else if (t.appIf?.test(name) && (t.appShare ?? 1) >= 1) actorKind = 'app';
      let audience: Audience = t.audience;
      if (t.adminIf?.test(name)) audience = t.adminAudience ?? (t.audience === 'orgAdmins' ? 'orgAdmins' : 'productAdmins');
      if (subject === 'self' && category === 'User management') audience = 'all';
      if (activity === 'made_request_to_api') audience = 'tokenHolders';
      const writes = a.operation === 'create' || a.operation === 'update' || a.operation === 'delete';
      let appShare = 0;
      if (actorKind === 'user' && (audience === 'all' || audience === 'eng' || audience === 'support' || audience === 'tokenHolders')) {
        if (t.appIf) appShare = t.appIf.test(name) ? t.appShare ?? 0 : 0;
        else if (writes || api) appShare = t.appShare ?? 0;
        if (activity === 'made_request_to_api') appShare = 0.25;
      }
      const withUser = subject !== 'self' && subject !== 'target' && (t.withUserIf?.test(name) ?? false);
      const groupKind = t.groupKind ?? 'group';
      const withGroup = subject !== groupKind && (t.withGroupIf?.test(name) ?? false);
      const extra = t.extras?.find(([re]) => re.test(name))?.[1] ?? null;
      const filled = new Set<Slot>();
      if (withUser || subject === 'target') filled.add('user');
      if (withGroup || subject === 'group') filled.add('group');
      if (subject === 'team') filled.add('team');
      const { segments, slots } = slotsOf(a.displayName, filled);
      const subjectSlot: Slot | null = subject === 'target' ? 'user' : subject === 'group' ? 'group' : subject === 'team' ? 'team' : null;
      const appendLabel = !api && subject !== 'self' && subject !== 'org' && !(subjectSlot !== null && slots.includes(subjectSlot));
      let failure: number;
      let failureKind: ActionPlan['failureKind'];
      if (failsByName) {
        failure = 1;
        failureKind = 'named';
      } else if (activity === 'logged_in_to_account') {
        failure = 0.08;
        failureKind = 'login';
      } else if (api) {
        failure = 0.05;
        failureKind = 'api';
      } else if (actorKind === 'system') {
        failure = 0;
        failureKind = 'write';
      } else if (a.operation === 'other') {
        failure = 0;
        failureKind = 'write';
      } else if (a.operation === 'read' || a.operation === 'access') {
        failure = 0.012;
        failureKind = 'read';
      } else {
        failure = 0.015;
        failureKind = 'write';
      }
      plans.push({
        index: plans.length,
        key: a.key,
        displayName: a.displayName,
        category,
        product: a.product,
        weight: (t.share * w) / total,
        actorKind,
        audience,
        appShare,
        tokenShare: api && activity === 'made_request_to_api' ? 1 : t.tokenShare ?? 0,
        adminKeyShare: t.adminKeyShare ?? 0,
        subject,
        withUser,
        withGroup,
        groupKind,
        extra: extra === subject ? null : extra,
        failure,
        failureKind,
        api,
        segments,
        slots,
        appendLabel,
        labelPrefix: slots.length > 0 ? ' (' : subject === 'target' ? ': ' : ' ',
        labelSuffix: slots.length > 0 ? ')' : '',
        appProduct: subject === 'issue' ? 'jira' : subject === 'page' ? 'confluence' : a.product,
      });
    }
  }
  return plans;
}
