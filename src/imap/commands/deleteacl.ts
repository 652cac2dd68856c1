// DELETEACL mailbox identifier (RFC 4314 §3.2): removes the identifier's entry. Needs "a".
import type { CommandSpec } from '../types.js';
import { ImapNoError } from '../proto/errors.js';
import { aclTarget, identifierArg } from '../acl.js';

export const deleteacl: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const { box } = await aclTarget(s, args, 'a');
    const identifier = identifierArg(args);
    args.end();
    if (identifier === box.owner) throw new ImapNoError("The owner's rights cannot be changed", 'CANNOT');
    // Deleting an entry that does not exist changes nothing and is not an error (as in Cyrus).
    await s.store.deleteRights(box.owner, box.id, identifier, { origin: s.id });
  },
};
