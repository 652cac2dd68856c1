// The selected mailbox as this session sees it: its own sequence-number ↔ UID map, flags and modseqs
// as last reported. The store moves on independently; `apply` takes the changes since the last sync
// and produces the untagged updates, holding expunges back while they may not be sent
// (RFC 3501 §7.4.1).
import type { ChangedSinceResult, MailboxSnapshot, MessageState } from '../store/types.js';

/** Rights that change a selected mailbox; without any of them SELECT opens it read-only. */
export function hasWriteRights(rights: string): boolean {
  return /[swte]/.test(rights);
}

export interface ViewUpdate {
  /** Expunged messages with their sequence numbers at the moment of announcement, highest first. */
  expunged: Array<{ seq: number; uid: number }>;
  /** Messages whose flags (or modseq) changed. */
  changed: Array<{ seq: number; state: MessageState }>;
  /** New EXISTS count, when it grew. */
  exists?: number;
  newUids: number[];
}

export class SelectedView {
  uids: number[] = [];
  private readonly state = new Map<number, MessageState>();
  /** UIDs gone from the store but not yet announced. */
  readonly ghosts = new Set<number>();
  readonly recent = new Set<number>();
  readonly uidValidity: number;
  uidNext: number;
  /** Modseq up to which changes have been read from the store. */
  syncedModseq: number;

  constructor(
    readonly path: string,
    readonly mailboxId: string,
    readonly readOnly: boolean,
    snap: MailboxSnapshot,
    /** The account that owns the mailbox (another user's for a shared mailbox). */
    readonly owner: string,
    /** The session user's rights on it (RFC 4314), as of SELECT or the last rights change. */
    public rights: string,
  ) {
    this.uidValidity = snap.mailbox.uidValidity;
    this.uidNext = snap.mailbox.uidNext;
    this.syncedModseq = snap.mailbox.highestModSeq;
    for (const m of snap.messages) {
      this.uids.push(m.uid);
      this.state.set(m.uid, copy(m));
    }
  }

  /**
   * The response code for a write refused because the view is read-only: NOPERM when the user's
   * rights allow no writes at all (RFC 4314 §4), READ-ONLY when the mailbox was EXAMINEd.
   */
  get readOnlyCode(): 'NOPERM' | 'READ-ONLY' {
    return hasWriteRights(this.rights) ? 'READ-ONLY' : 'NOPERM';
  }

  get exists(): number {
    return this.uids.length;
  }

  get(uid: number): MessageState | undefined {
    return this.state.get(uid);
  }

  /** Sequence number of a UID (1-based), or 0. */
  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.uids[mid]!;
      if (v === uid) return mid + 1;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  uidAt(seq: number): number | undefined {
    return this.uids[seq - 1];
  }

  /** Records state the session reported itself (STORE replies), so it is not reported twice. */
  record(m: MessageState): void {
    if (this.state.has(m.uid)) this.state.set(m.uid, copy(m));
  }

  /** Applies the store's changes since `syncedModseq`. */
  apply(ch: ChangedSinceResult, allowExpunge: boolean, compareModseq: boolean): ViewUpdate {
    const update: ViewUpdate = { expunged: [], changed: [], newUids: [] };
    for (const uid of ch.vanished) if (this.state.has(uid)) this.ghosts.add(uid);
    if (allowExpunge && this.ghosts.size > 0) {
      // Highest sequence numbers first, so each number is still valid when the client reads it.
      for (let i = this.uids.length - 1; i >= 0; i--) {
        const uid = this.uids[i]!;
        if (this.ghosts.has(uid)) {
          update.expunged.push({ seq: i + 1, uid });
          this.state.delete(uid);
          this.recent.delete(uid);
        }
      }
      this.uids = this.uids.filter((u) => !this.ghosts.has(u));
      this.ghosts.clear();
    }
    const last = this.uids.length > 0 ? this.uids[this.uids.length - 1]! : 0;
    for (const now of ch.changed) {
      const was = this.state.get(now.uid);
      if (was) {
        if (this.ghosts.has(now.uid)) continue;
        if (!sameFlags(now.flags, was.flags) || (compareModseq && now.modseq !== was.modseq)) {
          update.changed.push({ seq: this.seqOf(now.uid), state: now });
        }
        this.state.set(now.uid, copy(now));
      } else if (now.uid > last) {
        this.uids.push(now.uid);
        this.state.set(now.uid, copy(now));
        update.newUids.push(now.uid);
      }
    }
    if (update.newUids.length > 0) {
      update.exists = this.uids.length;
      this.uidNext = Math.max(this.uidNext, update.newUids[update.newUids.length - 1]! + 1);
    }
    this.syncedModseq = Math.max(this.syncedModseq, ch.highestModSeq);
    return update;
  }
}

function copy(m: MessageState): MessageState {
  return { uid: m.uid, emailId: m.emailId, modseq: m.modseq, flags: [...m.flags] };
}

export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map((f) => f.toLowerCase()));
  return b.every((f) => s.has(f.toLowerCase()));
}
