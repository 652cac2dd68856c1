// SEARCH and UID SEARCH (RFC 3501 §6.4.4) with ESEARCH return options (RFC 4731), SEARCHRES SAVE
// (RFC 5182) and CONDSTORE MODSEQ (RFC 7162 §3.1.5).
import type { CommandSpec } from '../types.js';
import { ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';
import { resolveLocalCriteria } from '../search/local.js';
import { parseSearch } from '../search/criteria.js';
import { formatSequenceSet } from '../proto/sequence.js';
import type { Token } from '../proto/tokens.js';

const RETURN_OPTIONS = new Set(['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE']);

export const search: CommandSpec = {
  states: ['selected'],
  expungeAfter: false,
  async run(s, args, ctx) {
    const tokens: Token[] = [];
    while (args.remaining > 0) tokens.push(args.next());
    let returnOpts: Set<string> | undefined;
    const first = tokens[0];
    if (first && first.type === 'atom' && first.value.toUpperCase() === 'RETURN') {
      const l = tokens[1];
      if (!l || l.type !== 'list') throw new ImapSyntaxError('RETURN needs a list');
      returnOpts = new Set(l.items.map((t) => tokenText(t).toUpperCase()));
      for (const o of returnOpts) if (!RETURN_OPTIONS.has(o)) throw new ImapSyntaxError(`Unknown RETURN option ${o.slice(0, 20)}`);
      if (returnOpts.size === 0) returnOpts.add('ALL');
      tokens.splice(0, 2);
    } else if (s.rev2) {
      // IMAP4rev2 has no untagged SEARCH response: a plain SEARCH answers ESEARCH ALL (RFC 9051 §6.4.4).
      returnOpts = new Set(['ALL']);
    }
    const parsed = parseSearch(s, tokens);
    const view = s.selected!;
    const result = await s.store.searchMailbox(s.account!, view.mailboxId, { criteria: await resolveLocalCriteria(s, parsed.criteria) });
    // Only messages this session knows about (new arrivals are announced first, at the next update).
    const uids = result.uids.filter((u) => view.seqOf(u) > 0).sort((a, b) => a - b);
    const nums = ctx.uid ? uids : uids.map((u) => view.seqOf(u));
    let modseq = 0;
    if (parsed.usesModseq) for (const u of uids) modseq = Math.max(modseq, view.get(u)?.modseq ?? 0);

    if (!returnOpts) {
      s.untagged(`SEARCH${nums.length ? ' ' + nums.join(' ') : ''}${parsed.usesModseq && nums.length ? ` (MODSEQ ${modseq})` : ''}`);
      return;
    }
    if (returnOpts.has('SAVE')) {
      // RFC 5182 §2.4: with only SAVE (or SAVE plus MIN/MAX) the saved set follows the other options.
      const onlyMinMax = [...returnOpts].every((o) => o === 'SAVE' || o === 'MIN' || o === 'MAX') && returnOpts.size > 1;
      if (onlyMinMax) {
        const keep: number[] = [];
        if (returnOpts.has('MIN') && uids.length) keep.push(uids[0]!);
        if (returnOpts.has('MAX') && uids.length) keep.push(uids[uids.length - 1]!);
        s.savedSearch = [...new Set(keep)];
      } else {
        s.savedSearch = uids;
      }
      if (returnOpts.size === 1) return;
    }
    const out: string[] = [`ESEARCH (TAG "${ctx.tag.replace(/["\\]/g, '\\$&')}")`];
    if (ctx.uid) out.push('UID');
    if (nums.length > 0) {
      if (returnOpts.has('MIN')) out.push(`MIN ${nums[0]}`);
      if (returnOpts.has('MAX')) out.push(`MAX ${nums[nums.length - 1]}`);
      if (returnOpts.has('ALL')) out.push(`ALL ${formatSequenceSet(nums)}`);
    }
    if (returnOpts.has('COUNT')) out.push(`COUNT ${nums.length}`);
    if (parsed.usesModseq && nums.length > 0) {
      // MODSEQ is the highest of the messages being returned (RFC 4731 §3.2, RFC 7162 §3.1.5).
      let returned = uids;
      if (!returnOpts.has('ALL') && !returnOpts.has('COUNT')) {
        returned = [];
        if (returnOpts.has('MIN')) returned.push(uids[0]!);
        if (returnOpts.has('MAX')) returned.push(uids[uids.length - 1]!);
      }
      let m = 0;
      for (const u of returned) m = Math.max(m, view.get(u)?.modseq ?? 0);
      out.push(`MODSEQ ${m}`);
    }
    s.untagged(out.join(' '));
  },
};
