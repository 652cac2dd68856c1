// The selected mailbox as this session sees it: its own sequence-number ↔ UID map, flags and modseqs
// as last reported. The store moves on independently; `apply` takes the changes since the last sync
// and produces the untagged updates, holding expunges back while they may not be sent
// (RFC 3501 §7.4.1).
import type { ChangedSinceResult, MailboxSnapshot, MessageState } from '../store/types.js';
import { sharedFlagList } from './flag-lists.js';

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
  uids: number[];
  // What the client was last told of each message, in arrays aligned with `uids` rather than an
  // object per message: a parked IDLE connection holds its selected mailbox's state for hours, and
  // a Map of MessageState objects with their own flag arrays cost about 250 bytes per message, more
  // than the rest of the connection for a mailbox of a hundred messages (issue #18).
  private modseqs: number[];
  /** Flag lists, shared between messages and views (./flag-lists.ts); never mutated. */
  private flagLists: Array<readonly string[]>;
  private emailIds: string[];
  /** UIDs gone from the store but not yet announced. */
  readonly ghosts = new Set<number>();
  readonly recent = new Set<number>();
  /**
   * UIDs this session's own APPENDs claimed as \Recent in the append's transaction
   * (AppendOptions.claimRecentIn), not yet in the view: they join `recent` when a refresh adds them.
   */
  readonly recentAhead = new Set<number>();
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
    // Built at their exact size (push() would leave growth slack in each array).
    const messages = snap.messages;
    this.uids = messages.map((m) => m.uid);
    this.modseqs = messages.map((m) => m.modseq);
    this.flagLists = messages.map((m) => sharedFlagList(m.flags));
    this.emailIds = messages.map((m) => m.emailId);
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

  /** The message's state as last reported (a copy: changing it changes nothing here). */
  get(uid: number): MessageState | undefined {
    const i = this.seqOf(uid) - 1;
    if (i < 0) return undefined;
    return { uid, emailId: this.emailIds[i]!, modseq: this.modseqs[i]!, flags: [...this.flagLists[i]!] };
  }

  /**
   * The state of the message at sequence number `seq` as last reported, without copying: its flag
   * list is shared (./flag-lists.ts) and must not be changed. FETCH asks this for every message it
   * writes, so it avoids get()'s second look-up and copy.
   */
  at(seq: number): Readonly<{ uid: number; emailId: string; modseq: number; flags: readonly string[] }> | undefined {
    const i = seq - 1;
    const uid = this.uids[i];
    if (uid === undefined) return undefined;
    return { uid, emailId: this.emailIds[i]!, modseq: this.modseqs[i]!, flags: this.flagLists[i]! };
  }

  /** The message's modseq as last reported, or 0 when the UID is not in the view. */
  modseqOf(uid: number): number {
    const i = this.seqOf(uid) - 1;
    return i < 0 ? 0 : this.modseqs[i]!;
  }

  /** The message's flags as last reported (shared: not to be changed), or undefined. */
  flagsOf(uid: number): readonly string[] | undefined {
    const i = this.seqOf(uid) - 1;
    return i < 0 ? undefined : this.flagLists[i];
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
    const i = this.seqOf(m.uid) - 1;
    if (i >= 0) this.set(i, m);
  }

  /** Applies the store's changes since `syncedModseq`. */
  apply(ch: ChangedSinceResult, allowExpunge: boolean, compareModseq: boolean): ViewUpdate {
    const update: ViewUpdate = { expunged: [], changed: [], newUids: [] };
    for (const uid of ch.vanished) if (this.seqOf(uid) > 0) this.ghosts.add(uid);
    if (allowExpunge && this.ghosts.size > 0) {
      // Highest sequence numbers first, so each number is still valid when the client reads it.
      for (let i = this.uids.length - 1; i >= 0; i--) {
        const uid = this.uids[i]!;
        if (this.ghosts.has(uid)) {
          update.expunged.push({ seq: i + 1, uid });
          this.recent.delete(uid);
        }
      }
      this.dropGhosts();
    }
    const last = this.uids.length > 0 ? this.uids[this.uids.length - 1]! : 0;
    for (const now of ch.changed) {
      const i = this.seqOf(now.uid) - 1;
      if (i >= 0) {
        if (this.ghosts.has(now.uid)) continue;
        if (!sameFlags(now.flags, this.flagLists[i]!) || (compareModseq && now.modseq !== this.modseqs[i])) {
          update.changed.push({ seq: i + 1, state: now });
        }
        this.set(i, now);
      } else if (now.uid > last) {
        this.push(now);
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

  private push(m: MessageState): void {
    this.uids.push(m.uid);
    this.modseqs.push(m.modseq);
    this.flagLists.push(sharedFlagList(m.flags));
    this.emailIds.push(m.emailId);
  }

  private set(i: number, m: MessageState): void {
    this.modseqs[i] = m.modseq;
    this.flagLists[i] = sharedFlagList(m.flags);
    this.emailIds[i] = m.emailId;
  }

  /** Forgets the ghosts' messages, keeping the arrays aligned; the ghosts are announced. */
  private dropGhosts(): void {
    let kept = 0;
    for (let i = 0; i < this.uids.length; i++) {
      if (this.ghosts.has(this.uids[i]!)) continue;
      this.uids[kept] = this.uids[i]!;
      this.modseqs[kept] = this.modseqs[i]!;
      this.flagLists[kept] = this.flagLists[i]!;
      this.emailIds[kept] = this.emailIds[i]!;
      kept++;
    }
    this.uids.length = kept;
    this.modseqs.length = kept;
    this.flagLists.length = kept;
    this.emailIds.length = kept;
    this.ghosts.clear();
  }
}

export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map((f) => f.toLowerCase()));
  return b.every((f) => s.has(f.toLowerCase()));
}
