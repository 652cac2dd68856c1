// SORT and UID SORT (RFC 5256 §3) over the store's mailbox search with sort keys.
import type { CommandSpec } from '../types.js';
import { ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';
import { resolveLocalCriteria } from '../search/local.js';
import { parseSearch, checkCharset } from '../search/criteria.js';
import type { SortComparator, SortKey } from '../../store/types.js';
import type { Token } from '../proto/tokens.js';

const KEYS: Record<string, SortKey> = {
  ARRIVAL: 'receivedAt',
  DATE: 'sentAt',
  FROM: 'from',
  TO: 'to',
  CC: 'cc',
  SUBJECT: 'subject',
  SIZE: 'size',
  DISPLAYFROM: 'displayFrom',
  DISPLAYTO: 'displayTo',
};

export const sort: CommandSpec = {
  states: ['selected'],
  expungeAfter: false,
  async run(s, args, ctx) {
    const keyTokens = args.list('sort criteria');
    const sortBy: SortComparator[] = [];
    let reverse = false;
    for (const t of keyTokens) {
      const k = tokenText(t).toUpperCase();
      if (k === 'REVERSE') {
        if (reverse) throw new ImapSyntaxError('REVERSE twice');
        reverse = true;
        continue;
      }
      const key = KEYS[k];
      if (!key) throw new ImapSyntaxError(`Unknown sort key ${k.slice(0, 20)}`);
      sortBy.push({ key, ...(reverse ? { descending: true } : {}) });
      reverse = false;
    }
    if (reverse || sortBy.length === 0) throw new ImapSyntaxError('Invalid sort criteria');
    checkCharset(args.astring('charset'));
    const rest: Token[] = [];
    while (args.remaining > 0) rest.push(args.next());
    const parsed = parseSearch(s, rest);
    const view = s.selected!;
    const result = await s.store.searchMailbox(s.account!, view.mailboxId, { criteria: await resolveLocalCriteria(s, parsed.criteria), sort: sortBy });
    const uids = result.uids.filter((u) => view.seqOf(u) > 0);
    const nums = ctx.uid ? uids : uids.map((u) => view.seqOf(u));
    s.untagged(`SORT${nums.length ? ' ' + nums.join(' ') : ''}`);
  },
};
