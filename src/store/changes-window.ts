// The /changes window (RFC 8620 §5.2) over a change log of objects stamped with modseqs: which
// changes one answer holds when there are more than maxChanges, and the state it may claim. Shared
// by every type with a change log (the store's Mailbox/Email/Thread tables, the Identity setting),
// so hasMoreChanges and newState mean the same everywhere.
import { CannotCalculateChangesError } from './errors.js';

export interface ChangeStamp<Id extends string | number> {
  id: Id;
  /** Modseq of the object's creation. */
  created: number;
  /** Modseq of its last change (its destruction, when destroyed). */
  last: number;
  destroyed: boolean;
}

export interface ChangeWindow<T> {
  /** The changes this answer reports, oldest first. */
  items: T[];
  /** State to report: the current one, or (hasMore) the last modseq fully included. */
  newState: string;
  hasMore: boolean;
}

const STATE = /^(0|[1-9][0-9]{0,15})$/;

/**
 * A client's sinceState as a modseq, or CannotCalculateChangesError when it is not one, is newer
 * than anything issued (`latest`), or older than the retained log (`floor`).
 */
export function sinceModseq(sinceState: string, latest: number, floor: number): number {
  if (!STATE.test(sinceState)) throw new CannotCalculateChangesError(sinceState);
  const since = Number(sinceState);
  if (since > latest || since < floor) throw new CannotCalculateChangesError(sinceState);
  return since;
}

/**
 * At most maxChanges of `changes` (all changed after `since`), cut between modseqs so a client that
 * resumes from newState misses nothing; when one modseq alone holds more than maxChanges changes it
 * is returned whole (a state inside it does not exist).
 */
export function windowChanges<Id extends string | number, T extends ChangeStamp<Id>>(changes: T[], since: number, maxChanges: number, state: number): ChangeWindow<T> {
  let items = [...changes].sort((x, y) => x.last - y.last || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  let newState = state;
  let hasMore = false;
  if (items.length > maxChanges) {
    hasMore = true;
    let cut = items[maxChanges - 1]!.last;
    let taken = items.filter((i) => i.last <= cut);
    if (taken.length > maxChanges) {
      const smaller = items.filter((i) => i.last < cut);
      if (smaller.length) {
        taken = smaller;
        cut = smaller[smaller.length - 1]!.last;
      }
    }
    items = taken;
    newState = cut;
  }
  return { items, newState: String(Math.max(newState, hasMore ? 0 : since)), hasMore };
}

/** The created / updated / destroyed lists of a window (ids mapped to their wire form). */
export function classifyChanges<Id extends string | number>(items: ChangeStamp<Id>[], since: number, wire: (id: Id) => string): { created: string[]; updated: string[]; destroyed: string[] } {
  const out = { created: [] as string[], updated: [] as string[], destroyed: [] as string[] };
  for (const i of items) {
    if (i.destroyed) out.destroyed.push(wire(i.id));
    else if (i.created > since) out.created.push(wire(i.id));
    else out.updated.push(wire(i.id));
  }
  return out;
}
