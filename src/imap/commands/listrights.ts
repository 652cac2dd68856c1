// LISTRIGHTS mailbox identifier (RFC 4314 §3.4): the rights always granted, then the rights that may
// be granted, each its own group (no right here implies another). The owner holds every right, always.
import type { CommandSpec } from '../types.js';
import { aclTarget, identifierArg } from '../acl.js';
import { astring } from '../proto/serialize.js';
import { ALL_RIGHTS } from '../../store/types.js';

export const listrights: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const { box, name } = await aclTarget(s, args, 'a');
    const identifier = identifierArg(args);
    args.end();
    const id = astring(identifier, { utf8: s.utf8 });
    if (identifier === box.owner) s.untagged('LISTRIGHTS ', name, ' ', id, ` ${ALL_RIGHTS}`);
    else s.untagged('LISTRIGHTS ', name, ' ', id, ` "" ${[...ALL_RIGHTS].join(' ')}`);
  },
};
