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
    // ESORT (RFC 5267 §3): SORT RETURN (MIN MAX ALL COUNT) answers ESEARCH in sort order.
    let returnOpts: Set<string> | undefined;
    if (args.peekAtom() === 'RETURN') {
      args.atom();
      returnOpts = new Set(args.list('return options').map((t) => tokenText(t).toUpperCase()));
      for (const o of returnOpts) if (!['MIN', 'MAX', 'ALL', 'COUNT'].includes(o)) throw new ImapSyntaxError(`Unknown RETURN option ${o.slice(0, 20)}`);
      if (returnOpts.size === 0) returnOpts.add('ALL');
    }
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
    if (returnOpts) {
      const out = [`ESEARCH (TAG "${ctx.tag.replace(/["\\]/g, '\\$&')}")`];
      if (ctx.uid) out.push('UID');
      if (nums.length > 0) {
        if (returnOpts.has('MIN')) out.push(`MIN ${nums[0]}`);
        if (returnOpts.has('MAX')) out.push(`MAX ${nums[nums.length - 1]}`);
        if (returnOpts.has('ALL')) out.push(`ALL ${orderedSet(nums)}`);
      }
      if (returnOpts.has('COUNT')) out.push(`COUNT ${nums.length}`);
      s.untagged(out.join(' '));
      return;
    }
    s.untagged(`SORT${nums.length ? ' ' + nums.join(' ') : ''}`);
  },
};

/** A sequence set that keeps the given order: only ascending consecutive runs become ranges. */
function orderedSet(nums: number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < nums.length) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
    parts.push(i === j ? String(nums[i]) : `${nums[i]}:${nums[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
