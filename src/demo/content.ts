// What the demo org's people act on: sites, Jira projects and issues, Confluence spaces and pages, Bitbucket
// repositories, service desks, Loom videos, on-call teams, admin objects (groups, policies, domains...). Each pool
// holds frozen entities built once; picking one is an index into an array.

import type { Entity } from '../domain/event.js';
import { EMAIL_DOMAIN, GROUPS, ORG_NAME, SITES, STREAM } from './cast.js';
import { AliasTable, Rng } from './random.js';

/** Something an event can be about: its entity, a short label for the message, and where it lives. */
export interface Item {
  entity: Entity;
  label: string;
  containers: readonly Entity[];
}

export interface Kind {
  items: readonly Item[];
  pick(rng: Rng): Item;
}

export type KindName =
  // Org-wide and admin
  | 'org' | 'site' | 'mainSite' | 'supportSite' | 'group' | 'team' | 'product' | 'domain' | 'customDomain' | 'authPolicy' | 'dataPolicy'
  | 'classification' | 'identityProvider' | 'orgPolicy' | 'directory' | 'googleDirectory' | 'apiToken' | 'adminApiKey' | 'tunnel'
  | 'auditWebhook' | 'companyConnection' | 'sandbox' | 'backup' | 'app' | 'thirdParty' | 'invitationLink'
  // Jira
  | 'issue' | 'jiraProject' | 'sprint' | 'permissionScheme' | 'securityScheme' | 'securityLevel' | 'screen'
  | 'screenScheme' | 'screenSchemeItem' | 'screenField' | 'issueType' | 'projectRole' | 'jiraGlobalPermission'
  // Confluence
  | 'page' | 'blog' | 'whiteboard' | 'database' | 'liveDoc' | 'space' | 'confluenceGlobalPermission' | 'defaultSpacePermission'
  // Bitbucket
  | 'bbWorkspace' | 'bbProject' | 'repository' | 'bbGroup' | 'sshKey' | 'gpgKey' | 'appPassword' | 'oauthConsumer' | 'bbApp'
  // Jira Service Management and Assets
  | 'serviceDesk' | 'requestType' | 'queue' | 'sla' | 'slaCalendar' | 'jsmReport' | 'form' | 'portalGroup' | 'customer'
  | 'customerOrg' | 'helpCenter' | 'helpTopic' | 'service' | 'chatSlack' | 'chatTeams' | 'chatZoom' | 'language' | 'objectSchema'
  | 'objectType' | 'assetObject'
  // Loom
  | 'loomWorkspace' | 'loomSpace' | 'video' | 'loomGroup'
  // Operations
  | 'opsTeam' | 'alert' | 'alertsFilter' | 'opsIntegration' | 'customRole' | 'maintenance' | 'roleNotification'
  | 'schedule' | 'rotation' | 'escalation' | 'routingRule' | 'alertPolicy' | 'heartbeat' | 'teamRole' | 'notificationRule'
  | 'forwardingRule'
  // Analytics, Focus, Compass, Rovo, Talent
  | 'dashboard' | 'chart' | 'control' | 'dataSource' | 'dataShare' | 'table' | 'dashboardTemplate' | 'focusArea'
  | 'focusAreaType' | 'focusView' | 'reviewReport' | 'compassField' | 'compassWebhook' | 'rovoAgent' | 'definition'
  | 'bookmark' | 'connector' | 'dataset';

export type Content = Record<KindName, Kind>;

type Attrs = Record<string, string | number | boolean>;

function entity(id: string, type: string, attributes: Attrs): Entity {
  return Object.freeze({ id, type, attributes: Object.freeze(attributes) });
}

function item(e: Entity, label: string, containers: readonly Entity[]): Item {
  return Object.freeze({ entity: e, label, containers });
}

function uniform(items: Item[]): Kind {
  const frozen = Object.freeze(items);
  return { items: frozen, pick: (rng) => frozen[Math.floor(rng.next() * frozen.length)] };
}

/** Low indexes are picked far more often than high ones (popular pages, recent videos). */
function skewed(items: Item[], power: number): Kind {
  const frozen = Object.freeze(items);
  return { items: frozen, pick: (rng) => frozen[Math.floor(rng.next() ** power * frozen.length)] };
}

const quote = (s: string): string => `“${s}”`;

const JIRA_PROJECTS: readonly [key: string, name: string, issues: number, weight: number, site: number][] = [
  ['WEB', 'Website', 1800, 12, 0], ['API', 'Platform API', 2400, 14, 0], ['MOB', 'Mobile App', 1600, 10, 0],
  ['DATA', 'Data Platform', 900, 7, 0], ['INFRA', 'Infrastructure', 1200, 8, 0], ['SEC', 'Security', 500, 4, 0],
  ['DES', 'Design System', 600, 5, 0], ['MKT', 'Marketing', 700, 5, 0], ['PEOP', 'People Ops', 300, 2, 0],
  ['FIN', 'Finance', 250, 2, 0], ['GROW', 'Growth Experiments', 400, 4, 2], ['LAB', 'Labs Prototypes', 200, 2, 2],
];

const ISSUE_SUMMARIES = [
  'Login page returns 500 when SSO session expires', 'Add dark mode to settings page', 'Upgrade Node.js runtime to 20 LTS',
  'Flaky test in checkout flow', 'Rate limit the public search endpoint', 'Migrate CI to Bitbucket Pipelines',
  'Improve onboarding email copy', 'Crash on launch for iOS 17.4 users', 'Add CSV export to billing report',
  'Rotate database credentials', 'Document the incident response runbook', 'Pagination breaks on the audit log page',
  'Reduce p95 latency of /v2/orders', 'Accessibility: focus trap in modal dialogs', 'Update privacy policy banner',
  'Spike: evaluate feature flag providers', 'Fix timezone bug in weekly digest', 'Create Q3 campaign landing page',
  'Deprecate legacy v1 webhooks', 'Backfill missing invoice records', 'Add retry with backoff to payment webhooks',
  'Dashboard widgets load slowly for large teams', 'Translate help center into German', 'Set up alerting for queue depth',
  'Remove unused S3 buckets', 'Patch OpenSSL on bastion hosts', 'New hire laptop provisioning checklist',
  'Android: push notifications not delivered', 'Design tokens for spacing scale', 'Refactor permission checks in project settings',
  'Support SAML for partner portal', 'Kafka consumer lag alerts', 'Update Terraform AWS provider',
  'Search results ignore archived items', 'Quarterly access review for production', 'GDPR data export request tooling',
  'Broken link in footer', 'Add audit events for role changes', 'Optimise image sizes on marketing site',
  'Expense approval workflow for managers', 'Investigate memory leak in worker pool', 'Split monolith billing module',
  'Customer cannot reset password', 'Enforce SSO for contractors', 'Dependency vulnerability in lodash',
  'Write ADR for event sourcing', 'Improve empty state illustrations', 'Track signup funnel drop-off',
  'Define SLOs for checkout service', 'Cache warm-up after deploys', 'Bulk edit for labels', 'Sync holidays into on-call calendar',
];

const CONFLUENCE_SPACES: readonly [key: string, name: string, pages: number, site: number][] = [
  ['ENG', 'Engineering', 260, 0], ['PROD', 'Product', 160, 0], ['DES', 'Design', 90, 0], ['IT', 'IT Knowledge Base', 120, 0],
  ['HR', 'People Team', 80, 0], ['MKT', 'Marketing', 90, 0], ['SALES', 'Sales Playbook', 70, 0], ['SEC', 'Security', 60, 0],
  ['ONB', 'Onboarding', 40, 0], ['LEAD', 'Leadership', 30, 0], ['LABS', 'Labs', 30, 2],
];

const PAGE_TITLES = [
  'Onboarding checklist', 'Architecture overview', 'Incident postmortem: checkout outage', 'Q3 OKRs', 'Release notes 4.12',
  'On-call handbook', 'Team rituals', 'Design review: navigation redesign', 'API style guide', 'How we do code review',
  'Meeting notes 2024-06-11', 'Product requirements: bulk export', 'Retrospective: Sprint 42', 'Security policy',
  'Travel and expenses', 'Brand guidelines', 'Competitive analysis', 'Runbook: database failover', 'Hiring plan',
  'Quarterly business review', 'Customer interview notes', 'Roadmap 2025', 'Decision log', 'Engineering ladder',
  'Holiday calendar', 'Data retention policy', 'VPN setup guide', 'Laptop refresh policy', 'Pricing page experiment',
  'Launch checklist', 'Service ownership map', 'Glossary', 'Vendor evaluation: observability', 'Weekly status report',
  'Accessibility guidelines', 'Support escalation matrix', 'Benefits overview', 'Disaster recovery plan', 'Team charter',
  'Interview guide: backend engineer',
];
const BLOG_TITLES = [
  'Welcome to the new intranet', 'Engineering all-hands recap', 'Shipping faster with trunk-based development',
  'Our approach to accessibility', 'Meet the support team', 'Q2 wins', 'What we learned from the outage',
  'Security awareness month', 'New benefits for next year', 'Hackathon results',
];
const WHITEBOARD_TITLES = ['Sprint planning board', 'Architecture sketch', 'User journey map', 'Retro board', 'Org chart draft'];
const DATABASE_TITLES = ['Vendor tracker', 'Feature requests', 'Hiring pipeline', 'Asset inventory', 'Content calendar'];
const LIVE_DOC_TITLES = ['Team weekly notes', 'Brainstorm: pricing', 'Draft: launch plan'];

const BB_PROJECTS: readonly [key: string, name: string, repos: string[], workspace: number][] = [
  ['PLAT', 'Platform', ['payments-api', 'auth-service', 'orders-service', 'notification-service', 'audit-log-service'], 0],
  ['WEB', 'Web', ['web-frontend', 'marketing-site', 'design-system', 'docs-site'], 0],
  ['MOB', 'Mobile', ['ios-app', 'android-app', 'mobile-shared'], 0],
  ['DATA', 'Data', ['data-pipelines', 'dbt-models', 'analytics-events', 'ml-ranking'], 0],
  ['INFRA', 'Infrastructure', ['terraform-modules', 'k8s-manifests', 'ansible-playbooks', 'ci-templates', 'base-images'], 0],
  ['SEC', 'Security', ['secrets-scanner', 'security-policies'], 0],
  ['LABS', 'Labs', ['prototype-ai-assistant', 'hackathon-2024'], 1],
];

const SERVICE_DESKS: readonly [key: string, name: string][] = [
  ['IT', 'IT Help Desk'], ['HRSD', 'HR Service Desk'], ['CS', 'Customer Support'], ['FAC', 'Facilities'],
];

const ASSET_MODELS = [
  'MacBook Pro 14"', 'Dell XPS 13', 'ThinkPad X1 Carbon', 'LG UltraFine 27"', 'iPhone 15', 'Pixel 8', 'prod-db-01',
  'Adobe Creative Cloud seat', 'Figma seat', 'Meeting room Harbour',
];

const VIDEO_TITLES = [
  'Sprint demo', 'Bug repro', 'Walkthrough: new billing page', 'Quick update', 'Customer call recap', 'Design feedback',
  'Setting up your laptop', 'Weekly update', 'PR walkthrough', 'Feature preview', 'Roadmap review', 'Support macro tips',
];

const OPS_TEAMS = ['SRE', 'Platform', 'Payments', 'Mobile', 'Data', 'Security', 'IT Ops'];
const ALERT_MESSAGES = [
  'High CPU on prod-api-#', 'Error rate above 5% on checkout', 'Disk usage 90% on db-#', 'Queue depth high: orders',
  'Latency p95 above 800ms on search', 'Certificate expires in 7 days', 'Pod crash looping: worker-#',
  'Heartbeat missed: billing-batch', '5xx spike on edge-#', 'Replication lag on analytics replica',
];

/** Builds every pool from the content stream of `seed` (independent of the cast and of the event count). */
export function buildContent(seed: number): Content {
  const rng = new Rng(seed, STREAM.content);
  const none: readonly Entity[] = Object.freeze([]);

  const org = entity(rng.uuid(), 'organizations', { organizationName: ORG_NAME });
  const orgOnly = Object.freeze([org]);
  const siteEntities = SITES.map((name) => entity(rng.uuid(), 'sites', { siteName: name, siteUrl: `https://${name}.atlassian.net` }));
  const siteOnly = siteEntities.map((s) => Object.freeze([s]));
  const acme = siteEntities[0];
  const support = siteEntities[1];
  const atAcme = siteOnly[0];
  const atSupport = siteOnly[1];

  /** A pool of simply-named things of one type. */
  const named = (type: string, attr: string, names: readonly string[], containers: readonly Entity[], q = false): Kind =>
    uniform(names.map((n) => item(entity(rng.uuid(), type, { [attr]: n }), q ? quote(n) : n, containers)));

  /** A pool of named things that each belong to one of `parents` (an item per parent and name). */
  const within = (type: string, attr: string, names: readonly string[], parents: readonly Item[], base: readonly Entity[], q = false): Kind => {
    const out: Item[] = [];
    for (const p of parents) {
      const containers = Object.freeze([...base, p.entity]);
      for (const n of names) out.push(item(entity(rng.uuid(), type, { [attr]: n }), q ? quote(n) : n, containers));
    }
    return uniform(out);
  };

  // --- Jira: projects with issues; issue numbers skew to recent ones, projects by how busy they are.
  const jiraProjects: Item[] = [];
  const projectIssues: Item[][] = [];
  let issueId = 10_000;
  JIRA_PROJECTS.forEach(([key, name, count, , site], p) => {
    const project = entity(String(10_000 + p), 'projects', { projectKey: key, projectName: name });
    jiraProjects.push(item(project, name, siteOnly[site]));
    const containers = Object.freeze([siteEntities[site], project]);
    const issues: Item[] = [];
    for (let n = 1; n <= count; n++) {
      const issueKey = `${key}-${n}`;
      const summary = ISSUE_SUMMARIES[(n * 7 + p * 13) % ISSUE_SUMMARIES.length];
      issues.push(item(entity(String(issueId++), 'issues', { issueKey, summary }), issueKey, containers));
    }
    projectIssues.push(issues);
  });
  const projectTable = new AliasTable(JIRA_PROJECTS.map((p) => p[3]));
  const allIssues = projectIssues.flat();
  const issue: Kind = {
    items: Object.freeze(allIssues),
    pick: (r) => {
      const issues = projectIssues[projectTable.sample(r)];
      // Recent (high-numbered) issues get most of the attention.
      return issues[issues.length - 1 - Math.floor(r.next() ** 3 * issues.length)];
    },
  };
  const jiraProject: Kind = { items: Object.freeze(jiraProjects), pick: (r) => jiraProjects[projectTable.sample(r)] };
  const sprints: Item[] = [];
  for (const p of jiraProjects.slice(0, 8)) {
    const key = (p.entity.attributes as Attrs).projectKey;
    for (let s = 30; s < 46; s++) {
      const sprintName = `${key} Sprint ${s}`;
      sprints.push(item(entity(rng.uuid(), 'sprints', { sprintName }), sprintName, Object.freeze([acme, p.entity])));
    }
  }

  // --- Confluence: spaces with pages (popular pages first), blogs, whiteboards, databases, live docs.
  const spaces: Item[] = [];
  const spacePages: Item[][] = [];
  const blogs: Item[] = [];
  const whiteboards: Item[] = [];
  const databases: Item[] = [];
  const liveDocs: Item[] = [];
  let contentId = 98_000;
  CONFLUENCE_SPACES.forEach(([key, name, count, site]) => {
    const space = entity(String(contentId++), 'spaces', { spaceKey: key, spaceName: name });
    spaces.push(item(space, name, siteOnly[site]));
    const containers = Object.freeze([siteEntities[site], space]);
    const page = (type: string, title: string): Item => item(entity(String(contentId++ * 13), type, { title }), quote(title), containers);
    const pages: Item[] = [];
    for (let i = 0; i < count; i++) {
      const base = PAGE_TITLES[(i + key.length * 7) % PAGE_TITLES.length];
      const round = Math.floor(i / PAGE_TITLES.length);
      pages.push(page('pages', round === 0 ? base : `${base} (${round + 1})`));
    }
    spacePages.push(pages);
    for (const t of BLOG_TITLES) blogs.push(page('blogposts', t));
    for (const t of WHITEBOARD_TITLES) whiteboards.push(page('whiteboards', t));
    for (const t of DATABASE_TITLES.slice(0, 3)) databases.push(page('databases', t));
    for (const t of LIVE_DOC_TITLES) liveDocs.push(page('live-docs', t));
  });
  const spaceTable = new AliasTable(CONFLUENCE_SPACES.map((s) => s[2]));
  const page: Kind = {
    items: Object.freeze(spacePages.flat()),
    pick: (r) => {
      const pages = spacePages[spaceTable.sample(r)];
      return pages[Math.floor(r.next() ** 2 * pages.length)];
    },
  };

  // --- Bitbucket: workspaces, projects, repositories.
  const workspaces = ['acme-corp', 'acme-labs'].map((w) => item(entity(`{${rng.uuid()}}`, 'workspaces', { workspaceName: w }), w, orgOnly));
  const bbProjects: Item[] = [];
  const repos: Item[] = [];
  for (const [key, name, names, w] of BB_PROJECTS) {
    const ws = workspaces[w];
    const project = item(entity(`{${rng.uuid()}}`, 'projects', { projectKey: key, projectName: name }), name, Object.freeze([ws.entity]));
    bbProjects.push(project);
    const containers = Object.freeze([ws.entity, project.entity]);
    for (const r of names) {
      const fullName = `${ws.label}/${r}`;
      repos.push(item(entity(`{${rng.uuid()}}`, 'repositories', { repositoryName: r, fullName }), fullName, containers));
    }
  }
  const bbMain = Object.freeze([workspaces[0].entity]);

  // --- Jira Service Management and Assets (on the support site).
  const desks = SERVICE_DESKS.map(([key, name], i) =>
    item(entity(String(20_000 + i), 'projects', { projectKey: key, projectName: name, projectType: 'service_desk' }), name, atSupport));
  const schemas = ['IT Assets', 'HR Assets', 'Facilities', 'Software Licenses'].map((n, i) =>
    item(entity(String(i + 1), 'object-schemas', { objectSchemaName: n }), n, atSupport));
  const objects: Item[] = [];
  for (let i = 0; i < 300; i++) {
    const model = ASSET_MODELS[i % ASSET_MODELS.length];
    const schema = schemas[i % 10 < 6 ? 0 : i % 10 < 8 ? 3 : i % 10 === 8 ? 1 : 2];
    const objectKey = `ITA-${1000 + i}`;
    objects.push(item(entity(String(5000 + i), 'objects', { objectKey, objectName: model }), `${objectKey} (${model})`, Object.freeze([support, schema.entity])));
  }

  // --- Loom.
  const loomWs = item(entity(rng.hex(32), 'workspaces', { workspaceName: ORG_NAME }), ORG_NAME, orgOnly);
  const loomIn = Object.freeze([loomWs.entity]);
  const loomSpaces = ['All Hands', 'Engineering Demos', 'Sales Enablement', 'Design Reviews', 'Customer Success', 'Onboarding']
    .map((n) => item(entity(rng.hex(32), 'spaces', { spaceName: n }), quote(n), loomIn));
  const videos: Item[] = [];
  for (let i = 0; i < 400; i++) {
    const title = `${VIDEO_TITLES[i % VIDEO_TITLES.length]} #${400 - i}`;
    const space = loomSpaces[(i * 7) % loomSpaces.length];
    videos.push(item(entity(rng.hex(32), 'videos', { title }), quote(title), Object.freeze([loomWs.entity, space.entity])));
  }

  // --- Operations (on the main site): teams and what belongs to them.
  const opsTeams = OPS_TEAMS.map((n) => item(entity(rng.uuid(), 'teams', { teamName: n }), n, atAcme));
  const alerts: Item[] = [];
  for (let i = 0; i < 240; i++) {
    const message = ALERT_MESSAGES[i % ALERT_MESSAGES.length].replace('#', String(1 + (i % 9)));
    const team = opsTeams[(i * 5) % opsTeams.length];
    alerts.push(item(entity(rng.uuid(), 'alerts', { message, priority: `P${1 + (i % 5)}`, tinyId: String(8000 - i) }),
      quote(message), Object.freeze([acme, team.entity])));
  }
  const perTeam = (type: string, suffixes: readonly string[]): Kind => {
    const out: Item[] = [];
    for (const t of opsTeams) {
      const containers = Object.freeze([acme, t.entity]);
      for (const s of suffixes) {
        const name = `${t.label} ${s}`;
        out.push(item(entity(rng.uuid(), type, { name }), name, containers));
      }
    }
    return uniform(out);
  };

  // --- Admin pools.
  const groups = GROUPS.map((g) => item(entity(rng.uuid(), 'groups', { groupName: g }), g, orgOnly));
  const teams = ['Platform', 'Payments', 'Mobile', 'Growth', 'Design Systems', 'Data Engineering', 'SRE', 'Security',
    'IT', 'People Experience', 'Customer Success', 'Sales Ops', 'Marketing Web', 'Finance Ops', 'Leadership']
    .map((t) => item(entity(rng.uuid(), 'teams', { teamName: t }), t, orgOnly));
  const products = ['Jira', 'Confluence', 'Jira Service Management', 'Bitbucket', 'Loom', 'Atlassian Analytics',
    'Jira Product Discovery', 'Compass', 'Focus', 'Rovo']
    .map((p) => item(entity(rng.uuid(), 'products', { productName: p }), p, Object.freeze([org, acme])));

  const chat = named('integrations', 'integrationName', ['Slack', 'Microsoft Teams', 'Zoom'], atSupport).items;
  const directories = named('directories', 'directoryName', ['Okta (Acme SSO)', 'Google Workspace'], orgOnly).items;

  const content: Content = {
    org: uniform([item(org, ORG_NAME, none)]),
    site: uniform(siteEntities.map((s, i) => item(s, SITES[i], orgOnly))),
    mainSite: uniform([item(acme, SITES[0], orgOnly)]),
    supportSite: uniform([item(support, SITES[1], orgOnly)]),
    group: uniform(groups),
    team: uniform(teams),
    product: uniform(products),
    domain: named('domains', 'domainName', [EMAIL_DOMAIN, 'acme.example', 'acme-labs.example', `support.${EMAIL_DOMAIN}`], orgOnly),
    customDomain: named('custom-domains', 'domainName', [`help.${EMAIL_DOMAIN}`, `docs.${EMAIL_DOMAIN}`, `status.${EMAIL_DOMAIN}`], orgOnly),
    authPolicy: named('authentication-policies', 'policyName', ['Default policy', 'Engineering (SSO enforced)', 'Contractors', 'Executives', 'Break-glass admins'], orgOnly, true),
    dataPolicy: named('data-security-policies', 'policyName', ['Block public links', 'Restrict exports of Confidential data', 'No AI on Restricted content', 'Block anonymous access'], orgOnly, true),
    classification: named('classification-levels', 'levelName', ['Public', 'Internal', 'Confidential', 'Restricted', 'Highly restricted'], orgOnly),
    identityProvider: named('identity-providers', 'providerName', ['Okta SAML', 'Microsoft Entra ID SAML'], orgOnly),
    orgPolicy: named('policies', 'policyName', ['IP allowlist', 'Mobile app policy', 'Data residency (EU)', 'Session duration 12h'], orgOnly, true),
    directory: uniform([directories[0]]),
    googleDirectory: uniform([directories[1]]),
    apiToken: named('api-tokens', 'tokenLabel', ['ci-pipeline', 'jira-cli', 'release-bot', 'backup-script', 'terraform', 'grafana-datasource'], orgOnly),
    adminApiKey: named('api-keys', 'keyName', ['SIEM export', 'User lifecycle automation', 'Terraform org config'], orgOnly, true),
    tunnel: named('application-tunnels', 'tunnelName', ['Jira Data Center tunnel', 'Confluence Data Center tunnel'], orgOnly),
    auditWebhook: named('webhooks', 'webhookName', ['Splunk HEC', 'Datadog Logs'], orgOnly),
    companyConnection: named('company-connections', 'connectionName', ['Globex partner space', 'Initech vendor space'], orgOnly),
    sandbox: named('sandboxes', 'sandboxName', ['acme-sandbox (Jira)', 'acme-sandbox (Confluence)'], Object.freeze([org, acme])),
    backup: named('backups', 'backupName', ['Nightly backup (acme)', 'Weekly backup (acme)', 'Pre-migration snapshot'], Object.freeze([org, acme])),
    app: uniform(['ScriptRunner for Jira', 'Tempo Timesheets', 'draw.io Diagrams', 'Zephyr Scale', 'Jira Misc Workflow Extensions',
      'Gliffy Diagrams', 'Structure', 'Jira Cloud for Slack', 'GitHub for Jira', 'Miro for Confluence']
      .map((n) => item(entity(rng.uuid(), 'apps', { appName: n }), n, atAcme))),
    thirdParty: named('integrations', 'integrationName', ['Slack', 'Microsoft Teams', 'Google Workspace'], orgOnly),
    invitationLink: named('invitation-links', 'linkName', ['acme Jira invite link', 'acme Confluence invite link'], Object.freeze([org, acme])),

    issue,
    jiraProject,
    sprint: uniform(sprints),
    permissionScheme: named('permission-schemes', 'schemeName', ['Default Permission Scheme', 'Engineering Permission Scheme', 'Restricted Projects Scheme'], atAcme),
    securityScheme: named('issue-security-schemes', 'schemeName', ['Default Issue Security Scheme', 'Confidential Issues Scheme'], atAcme),
    securityLevel: named('issue-security-levels', 'levelName', ['Internal', 'Confidential', 'Restricted', 'Executives only'], atAcme),
    screen: named('screens', 'screenName', ['Default Screen', 'Bug Screen', 'Story Create Screen', 'Resolve Issue Screen'], atAcme),
    screenScheme: named('screen-schemes', 'schemeName', ['Default Screen Scheme', 'Software Screen Scheme', 'Bug Screen Scheme'], atAcme),
    screenSchemeItem: named('screen-scheme-items', 'operation', ['Create issue', 'Edit issue', 'View issue'], atAcme),
    screenField: named('fields', 'fieldName', ['Story Points', 'Sprint', 'Team', 'Due date', 'Components', 'Severity'], atAcme),
    issueType: named('issue-types', 'issueTypeName', ['Story', 'Bug', 'Task', 'Epic', 'Spike', 'Incident', 'Sub-task'], atAcme),
    projectRole: within('project-roles', 'roleName', ['Administrators', 'Developers', 'Viewers'], jiraProjects.slice(0, 6), [acme]),
    jiraGlobalPermission: named('global-permissions', 'permission', ['Administer Jira', 'Browse users and groups', 'Create shared objects', 'Bulk change', 'Make bulk changes'], atAcme),

    page,
    blog: uniform(blogs),
    whiteboard: uniform(whiteboards),
    database: uniform(databases),
    liveDoc: uniform(liveDocs),
    space: { items: Object.freeze(spaces), pick: (r) => spaces[spaceTable.sample(r)] },
    confluenceGlobalPermission: named('global-permissions', 'permission', ['Can use', 'Create space', 'Confluence administrator', 'Personal space'], atAcme),
    defaultSpacePermission: named('space-permissions', 'permission', ['View', 'Add pages', 'Add comments', 'Delete pages', 'Export space'], atAcme),

    bbWorkspace: { items: Object.freeze(workspaces), pick: (r) => workspaces[r.chance(0.9) ? 0 : 1] },
    bbProject: uniform(bbProjects),
    repository: skewed(repos, 1.6),
    bbGroup: named('groups', 'groupName', ['developers', 'administrators', 'contractors', 'release-managers'], bbMain),
    sshKey: named('ssh-keys', 'keyLabel', ['MacBook Pro', 'build-agent-01', 'work laptop', 'yubikey'], bbMain),
    gpgKey: named('gpg-keys', 'keyLabel', ['signing key 2024', 'YubiKey OpenPGP'], bbMain),
    appPassword: named('app-passwords', 'label', ['sourcetree', 'ci-pipeline', 'vscode'], bbMain),
    oauthConsumer: named('oauth-consumers', 'consumerName', ['Jenkins', 'SonarCloud', 'Internal deploy bot'], bbMain),
    bbApp: named('apps', 'appName', ['Snyk Security', 'SonarCloud', 'Jira Cloud', 'Slack'], bbMain),

    serviceDesk: uniform(desks),
    requestType: within('request-types', 'requestTypeName', ['Get IT help', 'Request new hardware', 'Report a bug', 'Request access', 'Onboard new employee', 'Change request'], desks, [support]),
    queue: within('queues', 'queueName', ['All open', 'Assigned to me', 'Unassigned', 'SLA breached', 'Waiting for customer'], desks, [support]),
    sla: within('slas', 'slaName', ['Time to first response', 'Time to resolution', 'Time to approve normal change'], desks, [support]),
    slaCalendar: named('sla-calendars', 'calendarName', ['Sydney business hours', 'US business hours', '24x7'], atSupport),
    jsmReport: within('reports', 'reportName', ['Workload', 'Satisfaction', 'Created vs resolved', 'SLA success rate'], desks, [support]),
    form: within('forms', 'formName', ['New hire onboarding', 'Laptop request', 'Security incident', 'Vendor access'], desks, [support]),
    portalGroup: within('portal-groups', 'groupName', ['Hardware', 'Software', 'Accounts and access', 'Facilities'], desks, [support]),
    customer: uniform(['Jordan Blake', 'Priya Raman', 'Tom Becker', 'Alicia Gomez', 'Chen Wu', 'Maria Rossi', 'Sam Okoro', 'Lena Vogel']
      .map((n, i) => item(entity(`qm:${rng.uuid()}`, 'customers', { name: n, email: `${n.split(' ')[0].toLowerCase()}@${['globex', 'initech', 'umbrella', 'hooli'][i % 4]}.example` }), n, atSupport))),
    customerOrg: named('customer-organizations', 'organizationName', ['Globex', 'Initech', 'Umbrella Health', 'Stark Logistics', 'Hooli'], atSupport),
    helpCenter: named('help-centers', 'helpCenterName', ['Acme Help Center', 'Acme Employee Hub'], atSupport),
    helpTopic: named('help-center-topics', 'topicName', ['Getting started', 'Billing', 'Accounts', 'Hardware', 'Policies'], atSupport),
    service: named('services', 'serviceName', ['Payments API', 'Customer Portal', 'Email', 'VPN', 'SSO', 'Data Warehouse'], atSupport),
    chatSlack: uniform([chat[0]]),
    chatTeams: uniform([chat[1]]),
    chatZoom: uniform([chat[2]]),
    language: named('languages', 'language', ['English', 'German', 'Spanish', 'Japanese', 'Portuguese (Brazil)'], atSupport),
    objectSchema: uniform(schemas),
    objectType: within('object-types', 'objectTypeName', ['Laptop', 'Monitor', 'Server', 'Software license', 'Mobile phone', 'Office'], schemas.slice(0, 1), [support]),
    assetObject: skewed(objects, 1.5),

    loomWorkspace: uniform([loomWs]),
    loomSpace: uniform(loomSpaces),
    video: skewed(videos, 2.5),
    loomGroup: named('groups', 'groupName', ['Engineering', 'Sales', 'Leadership'], loomIn),

    opsTeam: uniform(opsTeams),
    alert: uniform(alerts),
    alertsFilter: named('alert-filters', 'filterName', ['P1 only', 'My team open alerts', 'Unacknowledged over 15m'], atAcme, true),
    opsIntegration: named('integrations', 'integrationName', ['Datadog', 'Prometheus Alertmanager', 'Amazon CloudWatch', 'Sentry', 'Grafana', 'Email'], atAcme),
    customRole: named('roles', 'roleName', ['Incident commander', 'Observer', 'Responder lead'], atAcme),
    maintenance: named('maintenances', 'description', ['Database upgrade window', 'Quarterly failover test', 'Network maintenance'], atAcme, true),
    roleNotification: named('notification-rules', 'ruleName', ['Notify owners on P1', 'Stakeholder updates'], atAcme, true),
    schedule: perTeam('schedules', ['on-call']),
    rotation: perTeam('rotations', ['primary rotation', 'secondary rotation']),
    escalation: perTeam('escalation-policies', ['escalation']),
    routingRule: perTeam('routing-rules', ['default route', 'after-hours route']),
    alertPolicy: perTeam('alert-policies', ['auto-close resolved', 'suppress staging alerts']),
    heartbeat: perTeam('heartbeats', ['cron heartbeat']),
    teamRole: perTeam('team-roles', ['responder', 'stakeholder']),
    notificationRule: named('notification-rules', 'ruleName', ['Mobile push for P1', 'SMS for P1 and P2', 'Email digest'], atAcme, true),
    forwardingRule: named('forwarding-rules', 'ruleName', ['Forward to backup while on leave'], atAcme, true),

    dashboard: named('dashboards', 'dashboardName', ['Engineering velocity', 'Support SLA overview', 'Sales pipeline', 'Incident trends', 'Cloud cost', 'Hiring funnel', 'Product adoption', 'Sprint health'], atAcme, true),
    chart: named('charts', 'chartName', ['Issues created vs resolved', 'Cycle time by team', 'MTTR by month', 'Open incidents by priority', 'Weekly active users', 'Backlog age'], atAcme, true),
    control: named('controls', 'controlName', ['Date range', 'Project picker', 'Team filter'], atAcme, true),
    dataSource: named('data-sources', 'dataSourceName', ['Atlassian Data Lake', 'Snowflake (prod)', 'PostgreSQL analytics replica', 'BigQuery marketing'], atAcme),
    dataShare: named('data-shares', 'shareName', ['Snowflake data share'], atAcme),
    table: named('tables', 'tableName', ['jira_issue', 'jira_project', 'confluence_page', 'account', 'jira_sprint'], atAcme),
    dashboardTemplate: named('dashboard-templates', 'templateName', ['Team health', 'Executive summary'], atAcme, true),
    focusArea: named('focus-areas', 'focusAreaName', ['Platform reliability', 'Expand in EMEA', 'Self-serve onboarding', 'Cost efficiency', 'Mobile growth'], orgOnly, true),
    focusAreaType: named('focus-area-types', 'typeName', ['Goal', 'Initiative', 'Program'], orgOnly),
    focusView: named('views', 'viewName', ['Leadership portfolio', 'Engineering roadmap'], orgOnly, true),
    reviewReport: named('review-reports', 'reportName', ['Q1 portfolio review', 'Q2 portfolio review'], orgOnly, true),
    compassField: named('custom-fields', 'fieldName', ['Tier', 'On-call team', 'Runbook URL'], atAcme),
    compassWebhook: named('webhooks', 'webhookName', ['GitHub deployments', 'Datadog events'], atAcme),
    rovoAgent: named('agents', 'agentName', ['Release notes writer', 'Support triage', 'Onboarding buddy', 'Incident summariser', 'Sales researcher'], atAcme, true),
    definition: named('definitions', 'term', ['ARR', 'SLA', 'Blast radius', 'DORA metrics'], atAcme, true),
    bookmark: named('bookmarks', 'title', ['VPN setup', 'Expense policy', 'Holiday calendar'], orgOnly, true),
    connector: named('connectors', 'connectorName', ['Google Drive', 'Slack', 'GitHub', 'SharePoint', 'Salesforce'], orgOnly),
    dataset: named('datasets', 'datasetName', ['Workday export', 'HRIS sync', 'Headcount plan'], orgOnly, true),
  };
  return content;
}
