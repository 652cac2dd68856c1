// The PostgreSQL side of a change batch (../change-batch.ts): state bumps written in the
// transaction, the new states read back after commit for the state-changed event.
import type { BusEvent } from '../../events/types.js';
import { BaseChangeBatch, type StateColumn } from '../change-batch.js';
import { encodeId } from '../sqlite/ids.js';
import type { Conn } from './db.js';

export class ChangeBatch extends BaseChangeBatch {
  /** Inside the transaction: writes the state bumps. */
  async commitStates(q: Conn): Promise<void> {
    // One statement for every column (each round trip is paid with the account row locked).
    const cols = [...this.states.keys()];
    if (!cols.length) return;
    const set = cols.map((c) => `${c} = greatest(${c}, ?)`).join(', ');
    await q.run(`UPDATE account SET ${set} WHERE id = ?`, ...cols.map((c) => this.states.get(c)!), this.accId);
  }

  /** After commit: the events to publish, mailbox events first, then one state-changed. */
  async events(q: Conn): Promise<BusEvent[]> {
    const row = this.states.size
      ? await q.get<Record<StateColumn, number>>('SELECT mailbox_state, email_state, thread_state, delivery_state, quota_state FROM account WHERE id = ?', this.accId)
      : undefined;
    return this.buildEvents((id) => encodeId('m', id), row);
  }
}
