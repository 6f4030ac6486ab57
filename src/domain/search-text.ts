// The free-text document of an event, what `q=` matches: the names and emails of the actor (and whoever it acted
// for, and the app it used), the action's display name, the message, and the names of the context and container
// entities (their string attributes). Ids, types and addresses are left out: they have filters of their own, and
// unique tokens such as ids would bloat the index that every append writes to.
import type { ActionDefinition } from './action.js';
import type { Entity, EventInput } from './event.js';

function entityNames(parts: string[], entities: Entity[] | undefined): void {
  if (!entities) return;
  for (const e of entities) {
    if (!e.attributes) continue;
    for (const v of Object.values(e.attributes)) if (typeof v === 'string') parts.push(v);
  }
}

export function searchText(event: Pick<EventInput, 'actor' | 'context' | 'container' | 'message'>, action: Pick<ActionDefinition, 'displayName'>): string {
  const parts: string[] = [action.displayName];
  const { actor } = event;
  if (actor.name) parts.push(actor.name);
  if (actor.email) parts.push(actor.email);
  if (actor.auth?.tokenLabel) parts.push(actor.auth.tokenLabel);
  if (actor.onBehalfOf?.name) parts.push(actor.onBehalfOf.name);
  if (actor.onBehalfOf?.email) parts.push(actor.onBehalfOf.email);
  if (actor.app?.name) parts.push(actor.app.name);
  if (event.message) parts.push(event.message.content);
  entityNames(parts, event.context);
  entityNames(parts, event.container);
  return parts.join(' ');
}
