// NOTIFY (RFC 5465 §3.1): NOTIFY NONE ends the registration; NOTIFY SET [STATUS] replaces it, with
// STATUS responses for the watched mailboxes before the tagged OK when asked. The implicit NOOP of a
// successful NOTIFY SET is the dispatcher's refresh before every tagged reply.
import type { CommandSpec } from '../types.js';
import { ImapSyntaxError } from '../proto/errors.js';
import type { Token } from '../proto/tokens.js';
import { decodeName } from '../mailbox-name.js';
import { parseNotifySet } from '../notify/spec.js';
import { NotifyWatcher } from '../notify/watcher.js';

export const notify: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const verb = args.atom('NOTIFY SET or NONE').toUpperCase();
    if (verb === 'NONE') {
      args.end();
      s.setNotify(undefined);
      return;
    }
    if (verb !== 'SET') throw new ImapSyntaxError('Expected NOTIFY SET or NOTIFY NONE');
    const tokens: Token[] = [];
    while (args.remaining > 0) tokens.push(args.next());
    const spec = parseNotifySet(tokens, (wire) => decodeName(s, wire));
    // The old registration ends before the new one starts listening: nothing is reported twice.
    s.setNotify(undefined);
    const watcher = await NotifyWatcher.start(s, spec);
    if (s.isClosed) {
      watcher.stop();
      return;
    }
    s.setNotify(watcher);
    if (spec.status) await watcher.initialStatus();
  },
};
