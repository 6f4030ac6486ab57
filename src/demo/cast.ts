// The demo org's people and places: users (names, emails, home cities, IPs, browsers, API tokens), groups, admins,
// the apps and system identities that act on their own. Built once per (seed, user count); every object handed to
// events is frozen and shared between them, so generating an event allocates little.

import type { Actor, Entity, Location } from '../domain/event.js';
import { AliasTable, Rng } from './random.js';

export const EMAIL_DOMAIN = 'acme-corp.example';
export const ORG_NAME = 'Acme Corp';

/** Stream numbers of the seeded generators, so the cast does not depend on how many events are drawn. */
export const STREAM = { cast: 1, content: 2, events: 3 } as const;

export interface City {
  city: string;
  regionName: string;
  countryName: string;
  /** Standard-time offset from UTC in hours (daylight saving is ignored). */
  utcOffsetHours: number;
  /** Share of the workforce living there. */
  weight: number;
  /** Two real-looking consumer ISP /16 prefixes. */
  v4: readonly [string, string];
  /** A real-looking ISP IPv6 /32 prefix (two groups). */
  v6: string;
  /** Acme has an office here (users share its egress IPs). */
  office: boolean;
}

const CITY_LIST: City[] = [
  { city: 'Sydney', regionName: 'New South Wales', countryName: 'Australia', utcOffsetHours: 10, weight: 14, v4: ['101.190', '120.148'], v6: '2001:8003', office: true },
  { city: 'San Francisco', regionName: 'California', countryName: 'United States', utcOffsetHours: -8, weight: 14, v4: ['73.223', '98.207'], v6: '2601:646', office: true },
  { city: 'New York', regionName: 'New York', countryName: 'United States', utcOffsetHours: -5, weight: 10, v4: ['68.173', '74.108'], v6: '2600:4040', office: true },
  { city: 'Austin', regionName: 'Texas', countryName: 'United States', utcOffsetHours: -6, weight: 7, v4: ['70.112', '99.106'], v6: '2603:8080', office: false },
  { city: 'Toronto', regionName: 'Ontario', countryName: 'Canada', utcOffsetHours: -5, weight: 4, v4: ['99.230', '142.114'], v6: '2607:fea8', office: false },
  { city: 'São Paulo', regionName: 'São Paulo', countryName: 'Brazil', utcOffsetHours: -3, weight: 4, v4: ['177.92', '189.100'], v6: '2804:14c', office: false },
  { city: 'London', regionName: 'England', countryName: 'United Kingdom', utcOffsetHours: 0, weight: 10, v4: ['81.106', '86.140'], v6: '2a00:23c6', office: true },
  { city: 'Dublin', regionName: 'Leinster', countryName: 'Ireland', utcOffsetHours: 0, weight: 3, v4: ['86.44', '89.101'], v6: '2a02:8084', office: false },
  { city: 'Berlin', regionName: 'Berlin', countryName: 'Germany', utcOffsetHours: 1, weight: 7, v4: ['84.150', '91.64'], v6: '2a02:8109', office: false },
  { city: 'Amsterdam', regionName: 'North Holland', countryName: 'Netherlands', utcOffsetHours: 1, weight: 5, v4: ['77.163', '84.241'], v6: '2a02:a466', office: true },
  { city: 'Warsaw', regionName: 'Mazovia', countryName: 'Poland', utcOffsetHours: 1, weight: 4, v4: ['83.9', '89.64'], v6: '2a01:110f', office: false },
  { city: 'Bengaluru', regionName: 'Karnataka', countryName: 'India', utcOffsetHours: 5.5, weight: 10, v4: ['49.207', '106.51'], v6: '2401:4900', office: true },
  { city: 'Singapore', regionName: 'Singapore', countryName: 'Singapore', utcOffsetHours: 8, weight: 4, v4: ['116.86', '175.156'], v6: '2406:3003', office: false },
];
export const CITIES: readonly City[] = Object.freeze(CITY_LIST.map((c) => Object.freeze(c)));

const FIRST_NAMES = [
  'Ana', 'Liam', 'Priya', 'Noah', 'Mei', 'Lucas', 'Sofia', 'Ethan', 'Aisha', 'Mateo', 'Chloe', 'Arjun', 'Emma', 'Kenji',
  'Olivia', 'Jonas', 'Fatima', 'Daniel', 'Hana', 'Oliver', 'Zoe', 'Rafael', 'Isla', 'Tomasz', 'Grace', 'Diego', 'Amara',
  'Samuel', 'Leila', 'Henrik', 'Maya', 'Kwame', 'Charlotte', 'Ravi', 'Ingrid', 'Marcus', 'Yuki', 'Elena', 'Jack', 'Nadia',
  'Felix', 'Camila', 'Omar', 'Freya', 'Wei', 'Lucia', 'Ben', 'Ayesha', 'Niamh', 'Hugo', 'Sara', 'Tariq', 'Julia', 'Anil',
  'Ruby', 'Mikael', 'Beatriz', 'Connor', 'Lina', 'Pedro', 'Alice', 'Sipho', 'Nora', 'Victor',
];
const LAST_NAMES = [
  'Silva', 'Nguyen', 'Patel', 'Smith', 'Chen', 'Müller', 'Kowalski', 'Garcia', 'Okafor', 'Tanaka', 'Brown', "O'Brien",
  'Rossi', 'Johansson', 'Kim', 'Martin', 'Haddad', 'Novak', 'Fernandes', 'Wilson', 'Sato', 'Dubois', 'Khan', 'Jensen',
  'Lopez', 'Murphy', 'Schmidt', 'Costa', 'Ivanova', 'Taylor', 'Mensah', 'Singh', 'Andersen', 'Walsh', 'Yamamoto', 'Reyes',
  'Cohen', 'Fischer', 'Park', 'Moreau', 'Ali', 'Campbell', 'de Vries', 'Lindqvist', 'Santos', 'Hughes', 'Zhang', 'Baker',
  'Nowak', 'Rahman', 'Ortiz', 'Becker', 'Lee', 'Kelly', 'Mahlangu', 'Russo', 'Clarke', 'Iyer', 'Wójcik', 'Herrera',
  'Larsen', 'Abbott', 'Suzuki', 'Friedman',
];

export interface Department {
  name: string;
  weight: number;
  groups: readonly string[];
}

export const DEPARTMENTS: readonly Department[] = Object.freeze([
  { name: 'engineering', weight: 38, groups: ['engineering', 'jira-software-users', 'confluence-users', 'bitbucket-developers', 'loom-creators'] },
  { name: 'design', weight: 8, groups: ['design', 'jira-software-users', 'confluence-users', 'loom-creators'] },
  { name: 'support', weight: 14, groups: ['support', 'jsm-agents', 'jira-servicemanagement-users', 'confluence-users'] },
  { name: 'it', weight: 6, groups: ['it', 'jsm-agents', 'jira-servicemanagement-users', 'jira-software-users', 'confluence-users'] },
  { name: 'sales', weight: 12, groups: ['sales', 'confluence-users', 'loom-creators', 'analytics-viewers'] },
  { name: 'marketing', weight: 8, groups: ['marketing', 'confluence-users', 'jira-software-users', 'loom-creators'] },
  { name: 'people-ops', weight: 5, groups: ['people-ops', 'confluence-users', 'jira-servicemanagement-users'] },
  { name: 'finance', weight: 5, groups: ['finance', 'confluence-users', 'analytics-viewers'] },
  { name: 'leadership', weight: 4, groups: ['leadership', 'confluence-users', 'jira-software-users', 'analytics-viewers'] },
].map((d) => Object.freeze(d)));

/** Every group of the demo org (product access groups, admin groups, department groups). */
export const GROUPS: readonly string[] = Object.freeze([
  'jira-software-users', 'jira-servicemanagement-users', 'jira-admins', 'confluence-users', 'confluence-admins',
  'bitbucket-developers', 'jsm-agents', 'site-admins', 'org-admins', 'engineering', 'design', 'support', 'it', 'sales',
  'marketing', 'people-ops', 'finance', 'leadership', 'contractors', 'loom-creators', 'analytics-viewers',
  'security-team', 'sre-oncall',
]);

/** The org's sites: the main one, the customer-facing service desk, a sandbox-ish labs site. */
export const SITES: readonly string[] = Object.freeze(['acme', 'acme-support', 'acme-labs']);

const BROWSERS: readonly [string, number][] = [
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 30],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 22],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 12],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87', 10],
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36', 8],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0', 6],
  ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0', 5],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36', 5],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0', 4],
];

const MOBILE: readonly string[] = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36',
  'Jira/156.0.0 (com.atlassian.jira.app; build:156000; iOS 17.5.1) CFNetwork/1496.0.7 Darwin/23.5.0',
  'Confluence/11.2.0 (com.atlassian.confluence.android; Android 14; SM-S921B) okhttp/4.12.0',
];

/** API token labels and the clients that use them. */
const TOKEN_CLIENTS: readonly [string, string][] = [
  ['ci-pipeline', 'python-requests/2.32.3'],
  ['jira-cli', 'jira-cli/1.5.2 (darwin; arm64)'],
  ['release-bot', 'Go-http-client/2.0'],
  ['backup-script', 'curl/8.7.1'],
  ['terraform', 'Terraform/1.8.5 (+https://www.terraform.io)'],
  ['grafana-datasource', 'Grafana/11.1.0'],
  ['reporting-sync', 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)'],
  ['vscode', 'Atlassian-VSCode/3.0.10 (vscode 1.90.2; darwin)'],
  ['powershell-admin', 'Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.22631; en-US) PowerShell/7.4.3'],
];

const ADMIN_KEY_CLIENTS: readonly [string, string][] = [
  ['SIEM export', 'python-requests/2.32.3'],
  ['User lifecycle automation', 'Go-http-client/2.0'],
  ['Terraform org config', 'Terraform/1.8.5 (+https://www.terraform.io)'],
];

/** Where scripts and CI runners call from (cloud regions). */
const CLOUD_HOSTS: readonly Omit<City, 'utcOffsetHours' | 'weight' | 'v6' | 'office'>[] = [
  { city: 'Ashburn', regionName: 'Virginia', countryName: 'United States', v4: ['3.236', '44.192'] },
  { city: 'Dublin', regionName: 'Leinster', countryName: 'Ireland', v4: ['54.78', '34.248'] },
  { city: 'Sydney', regionName: 'New South Wales', countryName: 'Australia', v4: ['13.236', '54.252'] },
  { city: 'Frankfurt am Main', regionName: 'Hesse', countryName: 'Germany', v4: ['18.185', '3.120'] },
];

/** The corporate VPN's egress points. */
const VPN_EGRESS: readonly Location[] = Object.freeze([
  { ip: '52.58.12.77', city: 'Frankfurt am Main', regionName: 'Hesse', countryName: 'Germany' },
  { ip: '34.86.44.190', city: 'Ashburn', regionName: 'Virginia', countryName: 'United States' },
  { ip: '13.250.91.18', city: 'Singapore', regionName: 'Singapore', countryName: 'Singapore' },
].map((l) => freezeLocation(l.ip, l)));

export interface Token {
  actor: Actor;
  location: Location;
  userAgent: string;
}

export interface DemoUser {
  index: number;
  id: string;
  name: string;
  email: string;
  department: string;
  city: City;
  /** Milliseconds to add to UTC to get the user's local (standard) time. */
  offsetMs: number;
  /** Relative activity: a few people do a lot, most do a little. */
  activity: number;
  /** The user as an actor using the web or mobile apps. */
  actor: Actor;
  /** The user as a context entity (target of admin actions). */
  entity: Entity;
  /** Home and office locations; the first is the usual one. */
  homes: readonly Location[];
  /** Chance of using the second home location when there is one. */
  secondHomeShare: number;
  /** The VPN egress the user sometimes connects through. */
  vpn?: Location;
  /** Where the user goes if they travel during the period (a hotel IP in another city). */
  trip?: Location;
  browser: string;
  mobile?: string;
  /** API tokens (the actor carries auth {authType:'api-token', tokenId, tokenLabel}). */
  tokens: readonly Token[];
  /** Org admins' admin API key (auth {authType:'api-key', ...}). */
  adminKey?: Token;
  orgAdmin: boolean;
  productAdmin: boolean;
}

/** An app or integration acting through its own account. */
export interface DemoApp {
  actor: Actor;
  location: Location;
  userAgent: string;
  /** The products it acts in. */
  products: readonly string[];
}

export interface Cast {
  users: readonly DemoUser[];
  orgAdmins: readonly DemoUser[];
  productAdmins: readonly DemoUser[];
  tokenHolders: readonly DemoUser[];
  apps: readonly DemoApp[];
  /** Atlassian itself (scheduled jobs, automatic updates, backups). */
  system: Actor;
  /** The identity provider's SCIM provisioning (user provisioning events). */
  scim: { actor: Actor; location: Location; userAgent: string };
}

const APPS: readonly { key: string; name: string; ua: string; ip: string; products: string[] }[] = [
  { key: 'com.github.integration.production', name: 'GitHub for Jira', ua: 'GitHub-Hookshot/2f4e8c1', ip: '140.82.115.12', products: ['jira', 'bitbucket'] },
  { key: 'com.atlassian.jira.slack', name: 'Jira Cloud for Slack', ua: 'Slackbot 1.0 (+https://api.slack.com/robots)', ip: '54.209.176.93', products: ['jira', 'confluence', 'jira_service_management'] },
  { key: 'com.codebarrel.addons.automation', name: 'Automation for Jira', ua: 'Atlassian Automation/1.0', ip: '52.41.219.63', products: ['jira', 'jira_service_management', 'confluence'] },
  { key: 'com.onresolve.jira.groovy.groovyrunner', name: 'ScriptRunner for Jira', ua: 'ScriptRunner/9.13.0 (atlassian-connect-express)', ip: '35.156.48.201', products: ['jira'] },
  { key: 'zapier', name: 'Zapier', ua: 'Zapier', ip: '54.86.9.50', products: ['jira', 'confluence'] },
  { key: 'com.datadoghq.integration', name: 'Datadog', ua: 'Datadog/Webhooks', ip: '3.233.144.10', products: ['operations'] },
  { key: 'is.origo.jira.tempo-plugin', name: 'Tempo Timesheets', ua: 'tempo-connect/4.2.0', ip: '34.253.57.118', products: ['jira'] },
  { key: 'com.microsoft.teams.integration', name: 'Microsoft Teams for Jira', ua: 'Microsoft-Teams-Connector/1.0', ip: '52.112.98.40', products: ['jira', 'jira_service_management'] },
];

/** Places for apps' servers: they are all in cloud regions. */
const APP_LOCATION = { city: 'Ashburn', regionName: 'Virginia', countryName: 'United States' };

function freezeLocation(ip: string, place: { city: string; regionName: string; countryName: string }): Location {
  return Object.freeze({ ip, countryName: place.countryName, regionName: place.regionName, city: place.city });
}

function ipv4(rng: Rng, prefix: string): string {
  return `${prefix}.${1 + rng.int(254)}.${1 + rng.int(253)}`;
}

function ipv6(rng: Rng, prefix: string): string {
  const groups: string[] = [];
  for (let i = 0; i < 6; i++) groups.push(rng.int(0x10000).toString(16));
  return `${prefix}:${groups.join(':')}`;
}

function accountId(rng: Rng): string {
  return rng.chance(0.6) ? `712020:${rng.uuid()}` : rng.hex(24);
}

function asciiLocal(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ł/g, 'l').replace(/[^A-Za-z]/g, '').toLowerCase();
}

/** Every (first, last) pair in a seeded order; a suffix keeps emails unique beyond the list's size. */
function names(rng: Rng, n: number): { first: string; last: string; name: string; email: string }[] {
  const pairs: [number, number][] = [];
  for (let f = 0; f < FIRST_NAMES.length; f++) for (let l = 0; l < LAST_NAMES.length; l++) pairs.push([f, l]);
  rng.shuffle(pairs);
  const out: { first: string; last: string; name: string; email: string }[] = [];
  for (let i = 0; i < n; i++) {
    const [f, l] = pairs[i % pairs.length];
    const round = Math.floor(i / pairs.length);
    const first = FIRST_NAMES[f];
    const last = LAST_NAMES[l];
    const suffix = round === 0 ? '' : String(round + 1);
    out.push({ first, last, name: `${first} ${last}`, email: `${asciiLocal(first)}.${asciiLocal(last)}${suffix}@${EMAIL_DOMAIN}` });
  }
  return out;
}

export function buildCast(seed: number, userCount: number): Cast {
  const rng = new Rng(seed, STREAM.cast);
  const cityTable = new AliasTable(CITIES.map((c) => c.weight));
  const departmentTable = new AliasTable(DEPARTMENTS.map((d) => d.weight));
  const browserTable = new AliasTable(BROWSERS.map((b) => b[1]));
  // Each office has two egress IPs that everybody working there shares.
  const officeIps = new Map<City, Location[]>();
  for (const c of CITIES) {
    if (c.office) officeIps.set(c, [freezeLocation(ipv4(rng, c.v4[0]), c), freezeLocation(ipv4(rng, c.v4[0]), c)]);
  }
  const people = names(rng, userCount);
  const users: DemoUser[] = [];
  for (let i = 0; i < userCount; i++) {
    const person = people[i];
    const city = CITIES[cityTable.sample(rng)];
    const department = DEPARTMENTS[departmentTable.sample(rng)].name;
    const id = accountId(rng);
    const v6 = rng.chance(0.1);
    const home = freezeLocation(v6 ? ipv6(rng, city.v6) : ipv4(rng, rng.pick(city.v4)), city);
    const office = officeIps.get(city);
    const homes = office && rng.chance(0.65) ? [office[rng.int(2)], home] : rng.chance(0.15) ? [home, freezeLocation(ipv4(rng, city.v4[1]), city)] : [home];
    let trip: Location | undefined;
    if (rng.chance(0.12)) {
      let away = CITIES[cityTable.sample(rng)];
      if (away === city) away = CITIES[(CITIES.indexOf(city) + 1 + rng.int(CITIES.length - 1)) % CITIES.length];
      trip = freezeLocation(ipv4(rng, rng.pick(away.v4)), away);
    }
    const actor: Actor = Object.freeze({ id, name: person.name, email: person.email });
    users.push({
      index: i,
      id,
      name: person.name,
      email: person.email,
      department,
      city,
      offsetMs: city.utcOffsetHours * 3_600_000,
      activity: Math.exp(0.8 * rng.normal()),
      actor,
      entity: Object.freeze({ id, type: 'users', attributes: Object.freeze({ name: person.name, email: person.email }) }),
      homes: Object.freeze(homes),
      secondHomeShare: 0.2 + 0.3 * rng.next(),
      vpn: rng.chance(0.08) ? rng.pick(VPN_EGRESS) : undefined,
      trip,
      browser: BROWSERS[browserTable.sample(rng)][0],
      mobile: rng.chance(0.3) ? rng.pick(MOBILE) : undefined,
      tokens: [],
      orgAdmin: false,
      productAdmin: false,
    });
  }

  // A handful of org admins, from IT, leadership and engineering when there are any; some more product admins.
  const adminCandidates = rng.shuffle(users.filter((u) => u.department === 'it' || u.department === 'leadership' || u.department === 'engineering'));
  const orgAdminCount = Math.max(1, Math.min(6, Math.round(userCount * 0.015)));
  const orgAdmins = (adminCandidates.length >= orgAdminCount ? adminCandidates : rng.shuffle([...users])).slice(0, orgAdminCount);
  for (const u of orgAdmins) u.orgAdmin = u.productAdmin = true;
  const others = rng.shuffle(users.filter((u) => !u.orgAdmin && u.department !== 'sales' && u.department !== 'finance'));
  const productAdmins = [...orgAdmins, ...others.slice(0, Math.round(userCount * 0.04))];
  for (const u of productAdmins) u.productAdmin = true;

  // API tokens: mostly engineers and IT; org admins also hold an admin API key.
  const tokenHolders: DemoUser[] = [];
  for (const u of users) {
    const tokens: Token[] = [];
    const technical = u.department === 'engineering' || u.department === 'it';
    if (technical ? rng.chance(0.3) : rng.chance(0.03)) {
      const count = rng.chance(0.3) ? 2 : 1;
      for (let t = 0; t < count; t++) {
        const [label, userAgent] = rng.pick(TOKEN_CLIENTS);
        const host = rng.pick(CLOUD_HOSTS);
        tokens.push(Object.freeze({
          actor: Object.freeze({ ...u.actor, auth: Object.freeze({ authType: 'api-token', tokenId: rng.uuid(), tokenLabel: label }) }),
          // Scripts run either on the user's own machine or on a CI runner in the cloud.
          location: rng.chance(0.4) ? u.homes[0] : freezeLocation(ipv4(rng, rng.pick(host.v4)), host),
          userAgent,
        }));
      }
    }
    if (u.orgAdmin) {
      const [label, userAgent] = rng.pick(ADMIN_KEY_CLIENTS);
      const host = rng.pick(CLOUD_HOSTS);
      u.adminKey = Object.freeze({
        actor: Object.freeze({ ...u.actor, auth: Object.freeze({ authType: 'api-key', tokenId: rng.uuid(), tokenLabel: label }) }),
        location: freezeLocation(ipv4(rng, rng.pick(host.v4)), host),
        userAgent,
      });
    }
    if (tokens.length > 0) {
      u.tokens = Object.freeze(tokens);
      tokenHolders.push(u);
    }
  }

  const apps: DemoApp[] = APPS.map((a) => Object.freeze({
    actor: Object.freeze({ id: `557058:${rng.uuid()}`, name: a.name, type: 'app', app: Object.freeze({ id: a.key, name: a.name }) }),
    location: freezeLocation(a.ip, APP_LOCATION),
    userAgent: a.ua,
    products: Object.freeze(a.products),
  }));

  for (const u of users) Object.freeze(u);
  return {
    users: Object.freeze(users),
    orgAdmins: Object.freeze(orgAdmins),
    productAdmins: Object.freeze(productAdmins),
    tokenHolders: Object.freeze(tokenHolders.length > 0 ? tokenHolders : []),
    apps: Object.freeze(apps),
    system: Object.freeze({ id: 'atlassian', name: 'Atlassian', type: 'system' }),
    scim: Object.freeze({
      actor: Object.freeze({
        id: `scim-${rng.hex(12)}`,
        name: 'Okta SCIM provisioning',
        type: 'system',
        auth: Object.freeze({ authType: 'scim-api-key', tokenId: rng.uuid(), tokenLabel: 'Okta (Acme SSO)' }),
      }),
      location: freezeLocation('52.39.114.27', { city: 'Boardman', regionName: 'Oregon', countryName: 'United States' }),
      userAgent: 'Okta SCIM Client 1.0.0',
    }),
  };
}
