// SEARCH and UID SEARCH (RFC 3501 §6.4.4) with ESEARCH return options (RFC 4731), SEARCHRES SAVE
// (RFC 5182), CONTEXT=SEARCH PARTIAL/UPDATE (RFC 5267) and CONDSTORE MODSEQ (RFC 7162 §3.1.5).
import type { CommandSpec } from '../types.js';
import { ImapSyntaxError } from '../proto/errors.js';
import { parseSearch } from '../search/criteria.js';
import { formatSequenceSet } from '../proto/sequence.js';
import { esearchTag, evaluateContext, parseReturnOptions, partialItem, type ReturnOptions } from '../search/context.js';
import type { Token } from '../proto/tokens.js';
import { uidOnly } from '../uidonly.js';

const RETURN_OPTIONS = ['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE', 'UPDATE'] as const;

export const search: CommandSpec = {
  states: ['selected'],
  expungeAfter: false,
  async run(s, args, ctx) {
    const tokens: Token[] = [];
    while (args.remaining > 0) tokens.push(args.next());
    let ret: ReturnOptions | undefined;
    const first = tokens[0];
    if (first && first.type === 'atom' && first.value.toUpperCase() === 'RETURN') {
      const l = tokens[1];
      if (!l || l.type !== 'list') throw new ImapSyntaxError('RETURN needs a list');
      ret = parseReturnOptions(l.items, RETURN_OPTIONS);
      tokens.splice(0, 2);
    } else if (s.rev2 || uidOnly(s)) {
      // IMAP4rev2 has no untagged SEARCH response: a plain SEARCH answers ESEARCH ALL (RFC 9051 §6.4.4);
      // neither has UIDONLY, whose results are UIDs marked as such (RFC 9586 §3).
      ret = { opts: new Set(['ALL']) };
    }
    const parsed = parseSearch(s, tokens);
    const view = s.selected!;
    // Only messages this session knows about (new arrivals are announced first, at the next update).
    const uids = (await evaluateContext(s, { criteria: parsed.criteria })).filter((u) => view.seqOf(u) > 0);
    const nums = ctx.uid ? uids : uids.map((u) => view.seqOf(u));
    const modseqOf = (list: number[]): number => list.reduce((m, u) => Math.max(m, view.modseqOf(u)), 0);

    if (!ret) {
      s.untagged(`SEARCH${nums.length ? ' ' + nums.join(' ') : ''}${parsed.usesModseq && nums.length ? ` (MODSEQ ${modseqOf(uids)})` : ''}`);
      return;
    }
    const opts = ret.opts;
    if (opts.has('UPDATE')) {
      if (s.searchContexts.some((c) => c.tag === ctx.tag)) throw new ImapSyntaxError('A search with this tag is already being updated');
      s.searchContexts.push({ tag: ctx.tag, uid: ctx.uid, criteria: parsed.criteria, results: uids });
    }
    if (opts.has('SAVE')) {
      // RFC 5182 §2.4: with SAVE plus MIN and/or MAX only, the saved set is what those return.
      const onlyMinMax = [...opts].every((o) => o === 'SAVE' || o === 'MIN' || o === 'MAX') && opts.size > 1;
      if (onlyMinMax) {
        const keep: number[] = [];
        if (opts.has('MIN') && uids.length) keep.push(uids[0]!);
        if (opts.has('MAX') && uids.length) keep.push(uids[uids.length - 1]!);
        s.savedSearch = [...new Set(keep)];
      } else {
        s.savedSearch = uids;
      }
      if (opts.size === 1) return;
    }
    const out: string[] = [esearchTag(ctx.tag)];
    if (ctx.uid) out.push('UID');
    if (nums.length > 0) {
      if (opts.has('MIN')) out.push(`MIN ${nums[0]}`);
      if (opts.has('MAX')) out.push(`MAX ${nums[nums.length - 1]}`);
      if (opts.has('ALL')) out.push(`ALL ${formatSequenceSet(nums)}`);
    }
    if (ret.partial) out.push(partialItem(nums, ret.partial));
    if (opts.has('COUNT')) out.push(`COUNT ${nums.length}`);
    if (parsed.usesModseq && nums.length > 0) {
      // MODSEQ is the highest of the messages being returned (RFC 4731 §3.2, RFC 7162 §3.1.5).
      let returned = uids;
      if (!opts.has('ALL') && !opts.has('COUNT')) {
        returned = [];
        if (opts.has('MIN')) returned.push(uids[0]!);
        if (opts.has('MAX')) returned.push(uids[uids.length - 1]!);
      }
      out.push(`MODSEQ ${modseqOf(returned)}`);
    }
    s.untagged(out.join(' '));
  },
};

export const cancelupdate: CommandSpec = {
  states: ['selected'],
  expungeAfter: true,
  async run(s, args) {
    if (args.remaining === 0) throw new ImapSyntaxError('CANCELUPDATE needs a tag');
    while (args.remaining > 0) {
      const tag = args.astring('tag');
      const before = s.searchContexts.length;
      s.searchContexts = s.searchContexts.filter((c) => c.tag !== tag);
      if (s.searchContexts.length === before) throw new ImapSyntaxError(`No update is active for tag ${tag.slice(0, 40)}`);
    }
  },
};
