// Resolves a sequence set (by sequence number or UID, or `$` for the saved SEARCHRES result) to the
// UIDs of the selected view, in ascending order.
import type { ImapSession } from './session.js';
import type { SequenceSet } from './proto/sequence.js';
import { rangesContain, resolveSequenceNumbers, MAX_UINT32 } from './proto/sequence.js';
import { ImapSyntaxError } from './proto/errors.js';
import type { UidSet } from '../store/types.js';

export function resolveUids(s: ImapSession, set: SequenceSet, byUid: boolean): number[] {
  const view = s.selected!;
  if (set.kind === 'saved') {
    const present = new Set(view.uids);
    return s.savedSearch.filter((u) => present.has(u));
  }
  if (byUid) {
    const max = view.uids.length > 0 ? view.uids[view.uids.length - 1]! : 0;
    if (max === 0) return [];
    return view.uids.filter((u) => rangesContain(set.ranges, u, max));
  }
  for (const r of set.ranges) {
    for (const n of [r.from, r.to]) {
      if (n !== -1 && n > view.exists) throw new ImapSyntaxError('Invalid message sequence number');
    }
  }
  if (view.exists === 0) {
    if (set.ranges.every((r) => r.from === -1 && r.to === -1)) return [];
    throw new ImapSyntaxError('No messages');
  }
  return resolveSequenceNumbers(set.ranges, view.exists).map((n) => view.uidAt(n)!);
}

export { MAX_UINT32 };

/** Ascending UIDs as the store's compact UidSet (runs become ranges). */
export function toUidSet(uids: readonly number[]): UidSet {
  const out: Array<number | readonly [number, number]> = [];
  let i = 0;
  while (i < uids.length) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    out.push(i === j ? uids[i]! : ([uids[i]!, uids[j]!] as const));
    i = j + 1;
  }
  return out;
}
