// THREAD and UID THREAD (RFC 5256 §3): ORDEREDSUBJECT and REFERENCES.
import type { CommandSpec } from '../types.js';
import { ImapSyntaxError } from '../proto/errors.js';
import { parseSearch, checkCharset } from '../search/criteria.js';
import { orderedSubjectThreads, referencesThreads } from '../search/thread.js';
import { toUidSet } from '../resolve.js';
import type { Token } from '../proto/tokens.js';

export const thread: CommandSpec = {
  states: ['selected'],
  expungeAfter: false,
  async run(s, args, ctx) {
    const algorithm = args.atom('threading algorithm').toUpperCase();
    if (algorithm !== 'ORDEREDSUBJECT' && algorithm !== 'REFERENCES') throw new ImapSyntaxError('Unknown threading algorithm');
    checkCharset(args.astring('charset'));
    const rest: Token[] = [];
    while (args.remaining > 0) rest.push(args.next());
    const parsed = parseSearch(s, rest);
    const view = s.selected!;
    const result = await s.store.searchMailbox(view.owner, view.mailboxId, { criteria: parsed.criteria });
    const uids = result.uids.filter((u) => view.seqOf(u) > 0).sort((a, b) => a - b);
    const metas = uids.length > 0 ? await s.store.getMessages(view.owner, view.mailboxId, toUidSet(uids), { parsed: true }) : [];
    const id = ctx.uid ? (m: { uid: number }) => m.uid : (m: { uid: number }) => view.seqOf(m.uid);
    const body = algorithm === 'REFERENCES' ? referencesThreads(metas, id) : orderedSubjectThreads(metas, id);
    s.untagged(`THREAD${body ? ' ' + body : ''}`);
  },
};
