// Copying one store into another (`annals migrate`): orgs, API keys, custom actions, the cursor secret, the published
// checkpoint keys, every event exactly as stored (id, seq, processedAt: the same leaves) and every checkpoint.
// Resumable: each org's events continue from what the target holds (once its tree at that size is checked to be the
// source's), and whatever else exists there already is left as it is. At the end each org's tree is compared: the
// same size and the same root, or the copy is reported as failed. Copy from a store no server is writing to: one
// that still takes events ends with a different size.
import { builtInAction } from '../catalogue/catalogue.js';
import type { ActionDefinition } from '../domain/action.js';
import { AnnalsError } from '../domain/errors.js';
import type { StoredEvent } from '../domain/event.js';
import { searchText } from '../domain/search-text.js';
import { foldRoot } from '../ledger/compact-range.js';
import { perfectSubtrees } from '../ledger/node-id.js';
import { restoredEvent } from './pending-event.js';
import type { Store } from './store.js';

export interface CopiedOrg {
  org: string;
  /** Events in the source's log. */
  events: number;
  /** Events this run copied (the rest were there from an earlier run). */
  copied: number;
  checkpoints: number;
  /** The source's root hash (hex) and whether the target's tree has the same size and root. */
  root: string;
  same: boolean;
}

export interface CopyOptions {
  /** Events per commit on the target (default 1000). */
  batch?: number;
  /** Called before an org's events are copied, with how many there are in all and how many the target has. */
  startOrg?(org: string, total: number, present: number): void;
  /** Called after each commit with the number of events it copied. */
  progress?(org: string, copied: number): void;
}

const CHECKPOINT_PAGE = 1000;

export async function copyStore(source: Store, target: Store, options: CopyOptions = {}): Promise<CopiedOrg[]> {
  const batch = options.batch ?? 1000;
  // The cursor MAC key: cursors that clients hold stay valid on the target.
  const secret = await source.secret('cursor');
  if (!(await target.secret('cursor', secret)).equals(secret)) {
    throw new AnnalsError('ANN_ERR_RESTORE_CONFLICT',
      'the target already has a cursor secret of its own (an Annals server has run on it): copy into a store no server has used');
  }
  await target.publishKeys(await source.publishedKeys());
  const report: CopiedOrg[] = [];
  const orgs = await source.listOrgs();
  for (const org of orgs) {
    if (!(await target.getOrg(org.id))) await target.createOrg(org);
  }
  for (const key of [...await source.listApiKeys(null), ...(await Promise.all(orgs.map((o) => source.listApiKeys(o.id)))).flat()]) {
    const there = await target.getApiKey(key.id);
    if (!there) {
      const { hash } = (await source.getApiKey(key.id))!;
      await target.createApiKey({ ...key, hash });
    } else if (key.revokedAt !== undefined && there.revokedAt === undefined) {
      await target.revokeApiKey(key.id);
    }
  }
  for (const org of orgs) {
    const actions = new Map<string, ActionDefinition>();
    for (const action of await source.listActions(org.id)) {
      actions.set(action.key, action);
      if (!(await target.getAction(org.id, action.key))) await target.registerAction(org.id, action);
    }
    report.push(await copyEvents(source, target, org.id, actions, batch, options));
  }
  return report;
}

async function copyEvents(source: Store, target: Store, org: string, actions: Map<string, ActionDefinition>, batch: number,
  options: CopyOptions): Promise<CopiedOrg> {
  const total = await source.countEvents(org);
  let at = await target.countEvents(org);
  // Resuming: what the target holds must be the start of the source's log (the same tree at that size).
  if (at > total) {
    throw new AnnalsError('ANN_ERR_RESTORE_CONFLICT', `the target holds ${at} events of '${org}', more than the source's ${total}: it is not a copy of it`);
  }
  if (at > 0) {
    const ids = perfectSubtrees(0, at);
    const [mine, theirs] = await Promise.all([source.ledgerNodes(org, ids), target.ledgerNodes(org, ids)]);
    if (!foldRoot(mine).equals(foldRoot(theirs))) {
      throw new AnnalsError('ANN_ERR_RESTORE_CONFLICT', `the target's first ${at} events of '${org}' are not the source's: it is not a copy of it`);
    }
  }
  options.startOrg?.(org, total, at);
  let copied = 0;
  while (at < total) {
    const leaves = await source.readLeaves(org, at, Math.min(batch, total - at));
    if (leaves.length === 0) break;
    const events = leaves.map((l) => JSON.parse(l.leaf.toString('utf8')) as StoredEvent);
    const keys = events.flatMap((e) => (e.idempotencyKey === undefined ? [] : [e.idempotencyKey]));
    const fingerprints = keys.length === 0 ? new Map<string, Buffer>() : await source.fingerprints(org, keys);
    const pending = events.map((e) => {
      const action = builtInAction(e.action) ?? actions.get(e.action);
      if (!action) throw new AnnalsError('ANN_ERR_RESTORE_CONFLICT', `event ${e.id} (seq ${e.seq}) has action '${e.action}', which the source does not define`);
      return restoredEvent(e, searchText(e, action), e.idempotencyKey === undefined ? undefined : fingerprints.get(e.idempotencyKey));
    });
    const [result] = await target.append([{ org, events: pending }]);
    if (!result.ok) throw result.error;
    at += pending.length;
    copied += pending.length;
    options.progress?.(org, pending.length);
  }
  let checkpoints = 0;
  for (let from = 0; ;) {
    const page = await source.listCheckpoints(org, from, CHECKPOINT_PAGE);
    for (const c of page) if (await target.addCheckpoint(org, c)) checkpoints++;
    if (page.length < CHECKPOINT_PAGE) break;
    from = page[page.length - 1].size + 1;
  }
  const [a, b] = await Promise.all([source.ledgerHead(org), target.ledgerHead(org)]);
  const root = foldRoot(a.hashes);
  return { org, events: total, copied, checkpoints, root: root.toString('hex'), same: a.size === b.size && root.equals(foldRoot(b.hashes)) };
}
