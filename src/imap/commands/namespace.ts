// NAMESPACE (RFC 2342): the personal namespace, the Other Users one (mailboxes others share, as
// `Other Users/<owner>/<mailbox>`) and, where the domain has a public account, the Shared one
// (`Shared/<mailbox>`); see mailbox-name.ts.
import type { CommandSpec } from '../types.js';
import { OTHER_USERS, SEPARATOR, SHARED_NAMESPACE } from '../mailbox-name.js';

export const namespace: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    args.end();
    const shared = s.publicAccount ? `(("${SHARED_NAMESPACE}${SEPARATOR}" "${SEPARATOR}"))` : 'NIL';
    s.untagged(`NAMESPACE (("" "${SEPARATOR}")) (("${OTHER_USERS}${SEPARATOR}" "${SEPARATOR}")) ${shared}`);
  },
};
