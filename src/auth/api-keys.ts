// API keys: `ann_<id>_<secret>`. Only the SHA-256 of the whole token is stored (the secret has 256 bits of
// entropy, so a fast hash is enough); the id finds the row, the hash is compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AnnalsError } from '../domain/errors.js';
import { type ApiKey, SCOPES, type Scope } from '../domain/org.js';
import { isText, NOT_TEXT } from '../domain/text.js';
import type { Store } from '../store/store.js';

const TOKEN = /^ann_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

export interface CreatedKey {
  key: ApiKey;
  /** The bearer token: shown once, never stored. */
  token: string;
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export class ApiKeyService {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async create(org: string | null, name: string, scopes: Scope[]): Promise<CreatedKey> {
    if (name.trim() === '' || name.length > 200) {
      throw new AnnalsError('ANN_ERR_KEY_INVALID', 'name must be 1 to 200 characters', { pointer: '/name' });
    }
    if (!isText(name)) throw new AnnalsError('ANN_ERR_KEY_INVALID', `name ${NOT_TEXT}`, { pointer: '/name' });
    if (scopes.length === 0) throw new AnnalsError('ANN_ERR_KEY_INVALID', 'a key needs at least one scope', { pointer: '/scopes' });
    for (const scope of scopes) {
      if (!SCOPES.includes(scope)) {
        throw new AnnalsError('ANN_ERR_KEY_INVALID', `unknown scope '${scope}'; scopes are ${SCOPES.join(', ')}`, { pointer: '/scopes' });
      }
    }
    if (org !== null && !(await this.#store.getOrg(org))) {
      throw new AnnalsError('ANN_ERR_ORG_NOT_FOUND', `organization '${org}' does not exist`, { parameter: 'orgId' });
    }
    const id = randomBytes(10).toString('hex').slice(0, 16);
    const token = `ann_${id}_${randomBytes(32).toString('base64url')}`;
    const key = await this.#store.createApiKey({ id, org, name: name.trim(), scopes: [...new Set(scopes)], hash: hashToken(token) });
    return { key, token };
  }

  /** The live key a bearer token stands for, or an ANN_ERR_AUTH_* error. */
  async authenticate(authorization: string | undefined): Promise<ApiKey> {
    if (!authorization) {
      throw new AnnalsError('ANN_ERR_AUTH_MISSING', 'send an API key as `Authorization: Bearer <key>`', { parameter: 'Authorization' });
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    const parts = match ? TOKEN.exec(match[1]) : null;
    if (!match || !parts) {
      throw new AnnalsError('ANN_ERR_AUTH_INVALID', 'the Authorization header is not `Bearer ann_…`', { parameter: 'Authorization' });
    }
    const stored = await this.#store.getApiKey(parts[1]);
    if (!stored || !timingSafeEqual(stored.hash, hashToken(match[1]))) {
      throw new AnnalsError('ANN_ERR_AUTH_INVALID', 'unknown API key', { parameter: 'Authorization' });
    }
    if (stored.revokedAt) throw new AnnalsError('ANN_ERR_AUTH_INVALID', 'this API key was revoked', { parameter: 'Authorization' });
    const { hash: _hash, ...key } = stored;
    return key;
  }

  /** Throws unless `key` may act with `scope` on `org` (`admin` implies every scope; instance keys span orgs). */
  static authorize(key: ApiKey, scope: Scope, org: string | undefined): void {
    if (!key.scopes.includes(scope) && !key.scopes.includes('admin')) {
      throw new AnnalsError('ANN_ERR_AUTH_SCOPE', `this operation needs the '${scope}' scope`);
    }
    if (org === undefined ? key.org !== null : key.org !== null && key.org !== org) {
      throw new AnnalsError('ANN_ERR_AUTH_ORG', org === undefined
        ? 'this operation needs an instance key'
        : `this API key may not act for organization '${org}'`);
    }
  }

  list(org: string | null): Promise<ApiKey[]> {
    return this.#store.listApiKeys(org);
  }

  async revoke(org: string | null, id: string): Promise<void> {
    const key = await this.#store.getApiKey(id);
    if (!key || key.org !== org || !(await this.#store.revokeApiKey(id))) {
      throw new AnnalsError('ANN_ERR_KEY_NOT_FOUND', `no live API key '${id}'${org ? ` in organization '${org}'` : ''}`, { parameter: 'keyId' });
    }
  }
}
