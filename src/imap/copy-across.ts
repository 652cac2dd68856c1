// COPY/MOVE between mailboxes of two accounts (a shared mailbox and one's own, or two owners). The
// store copies only within one account (an email belongs to one account), so the messages are copied
// from the store into spool files a chunk at a time (never held whole) and appended to the target's
// owner in batches, as APPEND literals are; a MOVE then expunges them from the source. Flags
// the user has no right to set in the target are dropped (RFC 4314 §4: COPY needs only "i").
import type { ImapSession } from './session.js';
import type { SelectedView } from './selected.js';
import type { OwnedMailbox } from './mailbox-name.js';
import { toUidSet } from './resolve.js';
import { ImapNoError } from './proto/errors.js';
import { hasRights, rightsForFlags, type AppendInput, type CopyResult } from '../store/types.js';
import { BytesGoneError } from '../store/api/byte-source.js';
import type { SpooledMessage } from '../store/index.js';

/** Messages spooled, then appended, at once. */
const BATCH = 20;

/** A stored message copied into a spool file chunk by chunk; null when it is gone (expunged meanwhile). */
async function spoolStored(s: ImapSession, owner: string, emailId: string): Promise<SpooledMessage | null> {
  const source = await s.store.openMessage(owner, emailId);
  if (!source) return null;
  try {
    return await s.spool.copyOf(source);
  } catch (err) {
    if (err instanceof BytesGoneError) return null;
    throw err;
  }
}

export async function copyAcross(s: ImapSession, view: SelectedView, uids: number[], box: OwnedMailbox, move: boolean): Promise<CopyResult> {
  // MOVE needs "t" and "e" on the source (RFC 6851 §3.3): checked before anything is copied, so a
  // refused MOVE leaves no copy behind.
  if (move && !hasRights(view.rights, 'te')) throw new ImapNoError('Permission denied', 'NOPERM');
  const targetRights = await s.store.myRights(s.actor!, box.owner, box.id);
  const result: CopyResult = { uidValidity: box.uidValidity, sourceUids: [], destinationUids: [] };
  for (let i = 0; i < uids.length; i += BATCH) {
    const metas = await s.store.getMessages(view.owner, view.mailboxId, toUidSet(uids.slice(i, i + BATCH)));
    const inputs: AppendInput[] = [];
    const copied: number[] = [];
    // Spool files made here; the store takes those it appends, discard() leaves those alone.
    const made: SpooledMessage[] = [];
    try {
      for (const m of metas) {
        const bytes = await spoolStored(s, view.owner, m.emailId);
        if (!bytes) continue; // expunged meanwhile
        made.push(bytes);
        const flags = m.flags.filter((f) => hasRights(targetRights, rightsForFlags([f])));
        inputs.push({ mailboxIds: [box.id], bytes, flags, receivedAt: m.receivedAt });
        copied.push(m.uid);
      }
      if (inputs.length === 0) continue;
      const appended = await s.store.appendMany(box.owner, inputs, { origin: s.id });
      result.sourceUids.push(...copied);
      for (const a of appended) {
        result.uidValidity = a.placements[0]!.uidValidity;
        result.destinationUids.push(a.placements[0]!.uid);
      }
    } finally {
      for (const file of made) await file.discard();
    }
    if (move) {
      await s.store.storeFlags(view.owner, view.mailboxId, toUidSet(copied), { mode: 'add', flags: ['\\Deleted'], origin: s.id });
      const gone = await s.store.expunge(view.owner, view.mailboxId, toUidSet(copied), { origin: s.id });
      result.sourceModSeq = gone.highestModSeq;
    }
  }
  return result;
}
