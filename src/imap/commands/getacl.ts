// GETACL mailbox (RFC 4314 §3.3): `* ACL mailbox identifier rights ...`, the owner first. Needs "a".
import type { CommandSpec } from '../types.js';
import { aclTarget } from '../acl.js';
import { astring, type Wire } from '../proto/serialize.js';

export const getacl: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const { box, name } = await aclTarget(s, args, 'a');
    args.end();
    const parts: Wire[] = ['ACL ', name];
    for (const e of await s.store.listRights(box.owner, box.id)) parts.push(' ', astring(e.identifier, { utf8: s.utf8 }), ' ', astring(e.rights));
    s.untagged(parts);
  },
};
