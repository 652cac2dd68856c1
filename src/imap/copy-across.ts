// COPY/MOVE between mailboxes of two accounts (a shared mailbox and one's own, or two owners). The
// store copies only within one account (an email belongs to one account), so the messages are read
// and appended to the target's owner in batches; a MOVE then expunges them from the source. Flags
// the user has no right to set in the target are dropped (RFC 4314 §4: COPY needs only "i").
import type { ImapSession } from './session.js';
import type { SelectedView } from './selected.js';
import type { OwnedMailbox } from './mailbox-name.js';
import { toUidSet } from './resolve.js';
import { ImapNoError } from './proto/errors.js';
import { hasRights, rightsForFlags, type AppendInput, type CopyResult } from '../store/types.js';

/** Messages read into memory at once (each is at most the listener's literal limit). */
const BATCH = 20;

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
    for (const m of metas) {
      const bytes = await s.store.readMessage(view.owner, m.emailId);
      if (!bytes) continue; // expunged meanwhile
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
    if (move) {
      await s.store.storeFlags(view.owner, view.mailboxId, toUidSet(copied), { mode: 'add', flags: ['\\Deleted'], origin: s.id });
      const gone = await s.store.expunge(view.owner, view.mailboxId, toUidSet(copied), { origin: s.id });
      result.sourceModSeq = gone.highestModSeq;
    }
  }
  return result;
}
