// The SQLite side of a change batch (../change-batch.ts): state bumps written with the transaction's
// statements, the new states read back for the state-changed event.
import type { BusEvent } from '../../events/types.js';
import type { Ctx, StateColumn } from './context.js';
import { sql } from './context.js';
import { encodeId } from './ids.js';
import { BaseChangeBatch } from '../change-batch.js';

export class ChangeBatch extends BaseChangeBatch {
  /** Inside the transaction: writes the state bumps. */
  commitStates(ctx: Ctx): void {
    // One UPDATE of the account row for all the columns (an append bumps four), each to its own modseq.
    if (!this.states.size) return;
    const columns = [...this.states.keys()];
    sql(ctx, `UPDATE account SET ${columns.map((c) => `${c} = max(${c}, ?)`).join(', ')} WHERE id = ?`).run(...this.states.values(), this.accId);
  }

  /** After commit: the events to publish, mailbox events first, then one state-changed. */
  events(ctx: Ctx): BusEvent[] {
    const row = this.states.size
      ? (sql(ctx, 'SELECT mailbox_state, email_state, thread_state, delivery_state, quota_state FROM account WHERE id = ?').get(this.accId) as
          | Record<StateColumn, number>
          | undefined)
      : undefined;
    return this.buildEvents((id) => encodeId('m', id), row);
  }
}
