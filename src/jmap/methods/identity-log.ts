// The change log of the Identity setting, for Identity/changes (RFC 8620 §5.2). Identities live in
// one per-account setting; each write stamps what it changed with the state it is written at (the
// store's modseq, which the setting's state is), and keeps a bounded list of destroyed identities.
// The window over these stamps is the store's own (../../store/changes-window.ts), so Identity
// answers /changes exactly as Mailbox and Email do.
import type { JsonObject, MethodContext, MethodOutput } from '../core/types.js';
import { readAccount, optInt } from './args.js';
import { classifyChanges, sinceModseq, windowChanges, type ChangeStamp } from '../../store/changes-window.js';

export interface IdentityLog {
  /** Modseq of each identity's creation and last change; an identity without one is unchanged since state 0. */
  stamps?: Record<string, { created: number; updated: number }>;
  /** Destroyed identities, oldest first, at most MAX_TOMBSTONES. */
  destroyed?: Array<{ id: string; created: number; destroyed: number }>;
  /** Older states cannot be answered: their tombstones were dropped, or they predate the log. */
  floor?: number;
}

/** Tombstones kept; a state older than the oldest dropped one gets cannotCalculateChanges. */
export const MAX_TOMBSTONES = 1000;
/** Changes per answer when the client gives no maxChanges. */
const DEFAULT_MAX_CHANGES = 5000;

/** What one Identity/set did, by id. */
export interface IdentityEdits {
  created: Set<string>;
  updated: Set<string>;
  destroyed: Set<string>;
}

/** A setting written before the log existed has no stamps: nothing before it can be answered. */
function floorOf(log: IdentityLog, state: string, stored: boolean): number {
  return stored && log.stamps === undefined ? Number(state) : (log.floor ?? 0);
}

/** The log after `edits`, written at modseq `at` (called inside the store's write, see setSetting). */
export function stampEdits(log: IdentityLog, oldState: string, stored: boolean, edits: IdentityEdits, at: number): Required<IdentityLog> {
  const stamps = { ...log.stamps };
  const destroyed = [...(log.destroyed ?? [])];
  let floor = floorOf(log, oldState, stored);
  for (const id of edits.created) stamps[id] = { created: at, updated: at };
  for (const id of edits.updated) stamps[id] = { created: stamps[id]?.created ?? 0, updated: at };
  for (const id of edits.destroyed) {
    destroyed.push({ id, created: stamps[id]?.created ?? 0, destroyed: at });
    delete stamps[id];
  }
  const dropped = destroyed.splice(0, Math.max(0, destroyed.length - MAX_TOMBSTONES));
  if (dropped.length) floor = Math.max(floor, dropped[dropped.length - 1]!.destroyed);
  return { stamps, destroyed, floor };
}

/** Identity/changes from the log of the current setting (`ids`: the identities that exist now). */
export function identityChanges(
  args: JsonObject,
  ctx: MethodContext,
  current: { ids: string[]; log: IdentityLog; state: string; stored: boolean },
): MethodOutput {
  const account = readAccount(args, ctx);
  const sinceState = args.sinceState as string;
  const maxChanges = optInt(args, 'maxChanges', { min: 1 }) ?? DEFAULT_MAX_CHANGES;
  const state = Number(current.state);
  const since = sinceModseq(sinceState, state, floorOf(current.log, current.state, current.stored));
  const stamps = current.log.stamps ?? {};
  const items: ChangeStamp<string>[] = [];
  for (const id of current.ids) {
    const s = stamps[id];
    if (s !== undefined && s.updated > since) items.push({ id, created: s.created, last: s.updated, destroyed: false });
  }
  for (const t of current.log.destroyed ?? []) {
    // Created and destroyed since `since`: the client never saw it, so it is not reported.
    if (t.destroyed > since && t.created <= since) items.push({ id: t.id, created: t.created, last: t.destroyed, destroyed: true });
  }
  const window = windowChanges(items, since, maxChanges, state);
  const lists = classifyChanges(window.items, since, (id) => id);
  return [['Identity/changes', { accountId: account.id, oldState: sinceState, newState: window.newState, hasMoreChanges: window.hasMore, ...lists }]];
}
