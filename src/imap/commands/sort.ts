// SORT and UID SORT (RFC 5256 §3, SORT=DISPLAY RFC 5957): the store finds the matching messages,
// the session orders them with RFC 5256 keys computed from the parsed cache.
import type { CommandSpec } from '../types.js';
import { ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';
import { parseSearch, checkCharset } from '../search/criteria.js';
import type { SortKeyName, SortSpec } from '../search/sort-keys.js';
import { esearchTag, evaluateContext, parseReturnOptions, partialItem, type ReturnOptions } from '../search/context.js';
import type { Token } from '../proto/tokens.js';
import { formatSequenceSet } from '../proto/sequence.js';

const KEYS = new Set<SortKeyName>(['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO']);

export const sort: CommandSpec = {
  states: ['selected'],
  expungeAfter: false,
  async run(s, args, ctx) {
    // ESORT and CONTEXT=SORT (RFC 5267): SORT RETURN (…) answers ESEARCH in sort order.
    let ret: ReturnOptions | undefined;
    if (args.peekAtom() === 'RETURN') {
      args.atom();
      ret = parseReturnOptions(args.list('return options'), ['MIN', 'MAX', 'ALL', 'COUNT', 'UPDATE']);
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
    const sorted = (await evaluateContext(s, { criteria: parsed.criteria, sort: specs })).filter((u) => view.seqOf(u) > 0);
    const nums = ctx.uid ? sorted : sorted.map((u) => view.seqOf(u));
    if (ret) {
      const opts = ret.opts;
      if (opts.has('UPDATE')) {
        if (s.searchContexts.some((c) => c.tag === ctx.tag)) throw new ImapSyntaxError('A search with this tag is already being updated');
        s.searchContexts.push({ tag: ctx.tag, uid: ctx.uid, criteria: parsed.criteria, sort: specs, results: sorted });
      }
      const out = [esearchTag(ctx.tag)];
      if (ctx.uid) out.push('UID');
      if (nums.length > 0) {
        if (opts.has('MIN')) out.push(`MIN ${nums[0]}`);
        if (opts.has('MAX')) out.push(`MAX ${nums[nums.length - 1]}`);
        if (opts.has('ALL')) out.push(`ALL ${formatSequenceSet(nums)}`);
      }
      if (ret.partial) out.push(partialItem(nums, ret.partial));
      if (opts.has('COUNT')) out.push(`COUNT ${nums.length}`);
      s.untagged(out.join(' '));
      return;
    }
    s.untagged(`SORT${nums.length ? ' ' + nums.join(' ') : ''}`);
  },
};

