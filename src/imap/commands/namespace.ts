// NAMESPACE (RFC 2342): the personal namespace and the Other Users one (mailboxes others share,
// as `Other Users/<owner>/<mailbox>`, mailbox-name.ts). No shared namespace: every mailbox has an owner.
import type { CommandSpec } from '../types.js';
import { OTHER_USERS, SEPARATOR } from '../mailbox-name.js';

export const namespace: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    args.end();
    s.untagged(`NAMESPACE (("" "${SEPARATOR}")) (("${OTHER_USERS}${SEPARATOR}" "${SEPARATOR}")) NIL`);
  },
};
