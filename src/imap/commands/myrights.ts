// MYRIGHTS mailbox (RFC 4314 §3.5): the user's own rights. Any visible mailbox may be asked about.
import type { CommandSpec } from '../types.js';
import { aclTarget } from '../acl.js';
import { astring } from '../proto/serialize.js';

export const myrights: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const { rights, name } = await aclTarget(s, args, '');
    args.end();
    s.untagged('MYRIGHTS ', name, ' ', astring(rights));
  },
};
