// CLOSE (expunges silently, RFC 3501 §6.4.2) and UNSELECT (RFC 3691, no expunge).
import type { CommandSpec } from '../types.js';

export const close: CommandSpec = {
  states: ['selected'],
  expungeAfter: false,
  async run(s, args) {
    args.end();
    const view = s.selected!;
    s.unselect();
    // Without "e" CLOSE closes without expunging (RFC 4314 §4: "CLOSE: e, (silently expunges
    // only if e is present)").
    if (!view.readOnly && view.rights.includes('e')) await s.store.expunge(view.owner, view.mailboxId, undefined, { origin: s.id });
  },
};

export const unselect: CommandSpec = {
  states: ['selected'],
  expungeAfter: false,
  async run(s, args) {
    args.end();
    s.unselect();
  },
};
