// What one write transaction changed, shared by every store engine: the state columns to bump inside
// the transaction and the events to publish after commit, grouped per mailbox. Each engine's batch
// (sqlite/batch.ts, postgres/batch.ts) adds only how it writes the bumps and reads the new states.
import type { AccountEvent, AddedMessage, BusEvent, FlagsChangedEvent } from '../events/types.js';

export type StateColumn = 'mailbox_state' | 'email_state' | 'thread_state' | 'delivery_state' | 'quota_state';

const STATE_NAMES: Record<StateColumn, string> = {
  mailbox_state: 'Mailbox',
  email_state: 'Email',
  thread_state: 'Thread',
  delivery_state: 'EmailDelivery',
  quota_state: 'Quota',
};

/** Row ids are numbers in every engine; events carry them in their wire form. */
export type EncodeMailboxId = (id: number) => string;

export class BaseChangeBatch {
  private readonly added = new Map<number, { uidValidity: number; messages: AddedMessage[] }>();
  private readonly expunged = new Map<number, { uids: number[]; modseq: number }>();
  private readonly flags = new Map<number, FlagsChangedEvent['messages']>();
  private readonly other: AccountEvent[] = [];
  protected readonly states = new Map<StateColumn, number>();
  private readonly extraStates: Record<string, string> = {};
  delivery = false;

  constructor(
    readonly account: string,
    readonly accId: number,
    readonly origin: string | undefined,
  ) {}

  messageAdded(mailboxId: number, uidValidity: number, m: AddedMessage): void {
    let entry = this.added.get(mailboxId);
    if (!entry) this.added.set(mailboxId, (entry = { uidValidity, messages: [] }));
    entry.messages.push(m);
  }

  messageExpunged(mailboxId: number, uid: number, modseq: number): void {
    let entry = this.expunged.get(mailboxId);
    if (!entry) this.expunged.set(mailboxId, (entry = { uids: [], modseq }));
    entry.uids.push(uid);
    entry.modseq = Math.max(entry.modseq, modseq);
  }

  flagsChanged(mailboxId: number, m: FlagsChangedEvent['messages'][number]): void {
    let list = this.flags.get(mailboxId);
    if (!list) this.flags.set(mailboxId, (list = []));
    list.push(m);
  }

  event(e: AccountEvent): void {
    this.other.push(e);
  }

  state(col: StateColumn, modseq: number): void {
    this.states.set(col, Math.max(this.states.get(col) ?? 0, modseq));
  }

  /** A non-standard state (settings) to include in the state-changed event. */
  extraState(name: string, state: string): void {
    this.extraStates[name] = state;
  }

  /**
   * The events to publish, mailbox events first, then one state-changed built from `stateRow` (the
   * account's state columns after commit; undefined when no state changed).
   */
  protected buildEvents(encodeMailbox: EncodeMailboxId, stateRow: Record<StateColumn, number> | undefined): BusEvent[] {
    const out: BusEvent[] = [];
    const base = { account: this.account, ...(this.origin !== undefined ? { origin: this.origin } : {}) };
    for (const e of this.other) if (e.type === 'mailbox-created') out.push(e);
    for (const [mb, v] of this.expunged) {
      out.push({ type: 'messages-expunged', ...base, mailboxId: encodeMailbox(mb), uids: [...v.uids].sort((a, b) => a - b), modseq: v.modseq });
    }
    for (const [mb, v] of this.added) {
      out.push({ type: 'messages-added', ...base, mailboxId: encodeMailbox(mb), uidValidity: v.uidValidity, messages: v.messages, delivery: this.delivery });
    }
    for (const [mb, list] of this.flags) out.push({ type: 'flags-changed', ...base, mailboxId: encodeMailbox(mb), messages: list });
    for (const e of this.other) if (e.type !== 'mailbox-created') out.push(e);
    const changed: Record<string, string> = { ...this.extraStates };
    if (stateRow) for (const col of this.states.keys()) changed[STATE_NAMES[col]] = String(stateRow[col]);
    if (Object.keys(changed).length) out.push({ type: 'state-changed', ...base, changed });
    return out;
  }
}
