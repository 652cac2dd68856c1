// Untagged updates for the selected mailbox, computed at command boundaries and during IDLE: search
// context REMOVEFROM/ADDTO (RFC 5267), EXPUNGE or VANISHED (QRESYNC), FETCH FLAGS (with MODSEQ under
// CONDSTORE), EXISTS and RECENT; under UIDONLY (RFC 9586) VANISHED and UIDFETCH. EXPUNGE only where
// allowed (never after FETCH/STORE/SEARCH by sequence number, RFC 3501 §7.4.1).
import { isStoreError } from '../store/types.js';
import { formatFlags } from './flags.js';
import { formatSequenceSet } from './proto/sequence.js';
import { contextDeltas, updateLine, type ContextDelta } from './search/context.js';
import type { ImapSession } from './session.js';
import { fetchHead, implicitUid, uidOnly } from './uidonly.js';
import { fetchMessages } from './commands/fetch.js';

/** Sends the updates; false when the mailbox is gone and the session was ended with BYE. */
export async function refreshSelected(s: ImapSession, allowExpunge: boolean): Promise<boolean> {
  const view = s.selected;
  if (!view) return true;
  const account = view.owner;
  // Cleared before the read, not after: an event arriving while the read runs (a commit the read's
  // snapshot may miss) must leave the session dirty, or IDLE would sleep through that change.
  s.clearPendingChanges();
  let changes;
  try {
    changes = await s.store.changedSince(account, view.mailboxId, view.syncedModseq);
  } catch (err) {
    if (isStoreError(err) && (err.code === 'noSuchMailbox' || err.code === 'noPermission')) {
      // The mailbox was deleted or renamed away by someone else, or (shared) the right to read it
      // was revoked: nothing sensible is left to show.
      s.write(`* BYE ${view.owner === s.account ? 'Selected mailbox was deleted' : 'Access to the selected mailbox was revoked'}\r\n`);
      s.destroy();
      return false;
    }
    throw err;
  }
  const condstore = s.enabled.has('CONDSTORE') || s.enabled.has('QRESYNC');
  // Search contexts first: REMOVEFROM must name messages by their numbers before any EXPUNGE.
  let deltas: ContextDelta[] = [];
  if (s.searchContexts.length > 0 && (changes.changed.length > 0 || changes.vanished.length > 0 || view.ghosts.size > 0)) {
    const keep = new Set<number>();
    if (!allowExpunge) {
      for (const u of view.ghosts) keep.add(u);
      for (const u of changes.vanished) keep.add(u);
    }
    deltas = await contextDeltas(s, s.searchContexts, keep);
    for (const d of deltas) {
      const line = updateLine(d.ctx, 'REMOVEFROM', d.ctx.results, d.removed, (u) => view.seqOf(u));
      if (line) s.untagged(line);
    }
  }
  const update = view.apply(changes, allowExpunge, condstore);
  if (update.expunged.length > 0) {
    if (s.enabled.has('QRESYNC') || uidOnly(s)) {
      s.untagged(`VANISHED ${formatSequenceSet(update.expunged.map((e) => e.uid).sort((a, b) => a - b))}`);
    } else {
      for (const e of update.expunged) s.untagged(`${e.seq} EXPUNGE`);
    }
  }
  for (const c of update.changed) {
    const extra: string[] = [];
    if (condstore && implicitUid(s)) extra.push(`UID ${c.state.uid}`);
    if (condstore) extra.push(`MODSEQ (${c.state.modseq})`);
    const isRecent = view.recent.has(c.state.uid);
    s.untagged(`${fetchHead(s, c.seq, c.state.uid)} (FLAGS ${formatFlags(c.state.flags, isRecent)}${extra.length ? ' ' + extra.join(' ') : ''})`);
  }
  if (update.exists !== undefined) {
    if (!view.readOnly && !s.rev2) {
      // Claimed by this session's APPEND already; the claim below then finds nothing left to write.
      for (const u of view.recentAhead) if (view.seqOf(u) > 0) view.recent.add(u);
      view.recentAhead.clear();
      // The new messages are \Recent here if no other session has claimed them first.
      const claimed = await s.store.claimRecent(account, view.mailboxId, update.newUids[update.newUids.length - 1]!).catch((err: unknown) => {
        if (isStoreError(err) && err.code === 'noSuchMailbox') return []; // deleted meanwhile: the next refresh says BYE
        throw err;
      });
      for (const u of claimed) if (view.seqOf(u) > 0) view.recent.add(u);
    }
    s.untagged(`${update.exists} EXISTS`);
    if (!s.rev2) s.untagged(`${view.recent.size} RECENT`);
    // NOTIFY's MessageNew fetch attributes (RFC 5465 §5.2): a FETCH for each new message after EXISTS.
    const selectedEvents = s.notify?.spec.selected;
    if (selectedEvents?.fetch && selectedEvents.events.has('MessageNew')) await fetchMessages(s, update.newUids, selectedEvents.fetch);
  }
  for (const d of deltas) {
    d.ctx.results = d.fresh.filter((u) => view.seqOf(u) > 0);
    const added = d.added.filter((u) => view.seqOf(u) > 0);
    const line = updateLine(d.ctx, 'ADDTO', d.ctx.results, added, (u) => view.seqOf(u));
    if (line) s.untagged(line);
  }
  return true;
}
