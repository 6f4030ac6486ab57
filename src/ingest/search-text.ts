// The free-text document of an event: what `q=` matches (actor, action name, message, context and container).
import type { ActionDefinition } from '../domain/action.js';
import type { Entity, EventInput } from '../domain/event.js';

function entityText(parts: string[], entities: Entity[] | undefined): void {
  if (!entities) return;
  for (const e of entities) {
    parts.push(e.id, e.type);
    if (e.attributes) {
      for (const v of Object.values(e.attributes)) if (typeof v === 'string') parts.push(v);
    }
  }
}

export function searchText(event: EventInput, action: ActionDefinition): string {
  const parts: string[] = [action.displayName, event.actor.id];
  const { actor } = event;
  if (actor.name) parts.push(actor.name);
  if (actor.email) parts.push(actor.email);
  if (actor.auth?.tokenLabel) parts.push(actor.auth.tokenLabel);
  if (actor.onBehalfOf?.name) parts.push(actor.onBehalfOf.name);
  if (actor.onBehalfOf?.email) parts.push(actor.onBehalfOf.email);
  if (actor.app?.name) parts.push(actor.app.name);
  if (event.message) parts.push(event.message.content);
  entityText(parts, event.context);
  entityText(parts, event.container);
  if (event.location) {
    for (const v of [event.location.ip, event.location.city, event.location.regionName, event.location.countryName]) {
      if (v) parts.push(v);
    }
  }
  return parts.join(' ');
}
