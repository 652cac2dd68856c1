// SORT and UID SORT (RFC 5256 §3, SORT=DISPLAY RFC 5957): the store finds the matching messages,
// the session orders them with RFC 5256 keys computed from the parsed cache.
import type { CommandSpec } from '../types.js';
import { ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';
import { resolveLocalCriteria } from '../search/local.js';
import { parseSearch, checkCharset } from '../search/criteria.js';
import { sortMessages, type SortKeyName, type SortSpec } from '../search/sort-keys.js';
import { toUidSet } from '../resolve.js';
import type { Token } from '../proto/tokens.js';

const KEYS = new Set<SortKeyName>(['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO']);

export const sort: CommandSpec = {
  states: ['selected'],
  expungeAfter: false,
  async run(s, args, ctx) {
    const keyTokens = args.list('sort criteria');
    const specs: SortSpec[] = [];
    let reverse = false;
    for (const t of keyTokens) {
      const k = tokenText(t).toUpperCase();
      if (k === 'REVERSE') {
        if (reverse) throw new ImapSyntaxError('REVERSE twice');
        reverse = true;
        continue;
      }
      if (!KEYS.has(k as SortKeyName)) throw new ImapSyntaxError(`Unknown sort key ${k.slice(0, 20)}`);
      specs.push({ key: k as SortKeyName, reverse });
      reverse = false;
    }
    if (reverse || specs.length === 0) throw new ImapSyntaxError('Invalid sort criteria');
    checkCharset(args.astring('charset'));
    const rest: Token[] = [];
    while (args.remaining > 0) rest.push(args.next());
    const parsed = parseSearch(s, rest);
    const view = s.selected!;
    const result = await s.store.searchMailbox(s.account!, view.mailboxId, { criteria: await resolveLocalCriteria(s, parsed.criteria) });
    const uids = result.uids.filter((u) => view.seqOf(u) > 0).sort((a, b) => a - b);
    const metas = uids.length > 0 ? await s.store.getMessages(s.account!, view.mailboxId, toUidSet(uids), { parsed: true }) : [];
    const sorted = sortMessages(metas, specs);
    const nums = ctx.uid ? sorted : sorted.map((u) => view.seqOf(u));
    s.untagged(`SORT${nums.length ? ' ' + nums.join(' ') : ''}`);
  },
};
