// Organizations and the API keys that act for them.

export interface Org {
  /** URL-safe identifier used in paths, e.g. `acme` or a UUID. */
  id: string;
  name: string;
  createdAt: string;
}

export type Scope = 'write:events' | 'read:events' | 'admin';
export const SCOPES: readonly Scope[] = ['write:events', 'read:events', 'admin'];

export interface ApiKey {
  id: string;
  /** The org the key acts for; null for an instance key (created at bootstrap) that may act for every org. */
  org: string | null;
  name: string;
  scopes: Scope[];
  createdAt: string;
  revokedAt?: string;
}

/** Org ids appear in URLs and file names: keep them to a safe, bounded alphabet. */
export const ORG_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
