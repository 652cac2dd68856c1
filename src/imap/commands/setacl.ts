// SETACL mailbox identifier rights (RFC 4314 §3.1): "+rights" adds, "-rights" removes, otherwise the
// rights replace the identifier's. Needs "a" on the mailbox.
import type { CommandSpec } from '../types.js';
import { ImapNoError, ImapSyntaxError } from '../proto/errors.js';
import { aclTarget, identifierArg } from '../acl.js';
import { canonicalRights, parseRights, isStoreError } from '../../store/types.js';

export const setacl: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const target = await aclTarget(s, args, 'a');
    const identifier = identifierArg(args);
    const text = args.astring('rights');
    args.end();
    const mode = text.startsWith('+') ? 'add' : text.startsWith('-') ? 'remove' : 'replace';
    let given: string;
    try {
      given = parseRights(mode === 'replace' ? text : text.slice(1));
    } catch (err) {
      // RFC 4314 §3.1: an unknown right is a BAD.
      if (isStoreError(err) && err.code === 'invalidArgument') throw new ImapSyntaxError(err.message);
      throw err;
    }
    const { box } = target;
    if (identifier === box.owner) throw new ImapNoError("The owner's rights cannot be changed", 'CANNOT');
    let rights = given;
    if (mode !== 'replace') {
      const entries = await s.store.listRights(box.owner, box.id);
      const current = entries.find((e) => e.identifier === identifier)?.rights ?? '';
      rights = mode === 'add' ? canonicalRights(current + given) : canonicalRights([...current].filter((r) => !given.includes(r)));
    }
    await s.store.setRights(box.owner, box.id, identifier, rights, { origin: s.id });
  },
};
