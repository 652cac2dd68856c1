// CONTEXT=SEARCH / CONTEXT=SORT (RFC 5267): RETURN (PARTIAL a:b) and RETURN (UPDATE) searches whose
// results the session keeps current, announcing ADDTO/REMOVEFROM as the mailbox changes.
import type { SearchCriteria } from '../../store/types.js';
import type { ImapSession } from '../session.js';
import { ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';
import type { Token } from '../proto/tokens.js';
import { formatSequenceSet } from '../proto/sequence.js';
import { sortMessages, type SortSpec } from './sort-keys.js';
import { toUidSet } from '../resolve.js';

export interface ReturnOptions {
  opts: Set<string>;
  partial?: { from: number; to: number };
}

export interface SearchContext {
  tag: string;
  uid: boolean;
  criteria: SearchCriteria;
  sort?: SortSpec[];
  /** Current result, UIDs in result order. */
  results: number[];
}

/** Parses a RETURN list; `allowed` names the options the command takes besides PARTIAL. */
export function parseReturnOptions(items: Token[], allowed: readonly string[]): ReturnOptions {
  const out: ReturnOptions = { opts: new Set() };
  for (let i = 0; i < items.length; i++) {
    const o = tokenText(items[i]!).toUpperCase();
    if (o === 'PARTIAL') {
      const r = items[++i];
      const m = r && r.type === 'atom' ? /^(\d{1,10}):(\d{1,10})$/.exec(r.value) : null;
      if (!m || Number(m[1]) === 0 || Number(m[2]) === 0) throw new ImapSyntaxError('PARTIAL needs a range like 1:100');
      const a = Number(m[1]);
      const b = Number(m[2]);
      out.partial = { from: Math.min(a, b), to: Math.max(a, b) };
      out.opts.add('PARTIAL');
      continue;
    }
    if (o === 'CONTEXT') continue; // a hint (RFC 5267 §4.2); nothing to do
    if (!allowed.includes(o)) throw new ImapSyntaxError(`Unknown RETURN option ${o.slice(0, 20)}`);
    out.opts.add(o);
  }
  if (out.opts.has('PARTIAL') && out.opts.has('ALL')) throw new ImapSyntaxError('PARTIAL and ALL cannot be combined');
  if (out.opts.size === 0) out.opts.add('ALL');
  return out;
}

export function partialItem(nums: number[], p: { from: number; to: number }): string {
  const slice = nums.slice(p.from - 1, p.to);
  const set = slice.length === 0 ? 'NIL' : formatSequenceSet(slice);
  return `PARTIAL (${p.from}:${p.to} ${set})`;
}

export function esearchTag(tag: string): string {
  return `ESEARCH (TAG "${tag.replace(/["\\]/g, '\\$&')}")`;
}

/** The context's result now, in result order (ascending UID, or the sort order). */
export async function evaluateContext(s: ImapSession, ctx: Pick<SearchContext, 'criteria' | 'sort'>): Promise<number[]> {
  const view = s.selected!;
  const r = await s.store.searchMailbox(view.owner, view.mailboxId, { criteria: ctx.criteria });
  const uids = [...r.uids].sort((a, b) => a - b);
  if (!ctx.sort || uids.length === 0) return uids;
  const metas = await s.store.getMessages(view.owner, view.mailboxId, toUidSet(uids), { parsed: true });
  return sortMessages(metas, ctx.sort);
}

export interface ContextDelta {
  ctx: SearchContext;
  fresh: number[];
  removed: number[];
  added: number[];
}

/**
 * Computes what changed for every context. `keep` are UIDs expunged in the store but not yet
 * announced: they stay in results until their EXPUNGE is sent.
 */
export async function contextDeltas(s: ImapSession, contexts: SearchContext[], keep: Set<number>): Promise<ContextDelta[]> {
  const out: ContextDelta[] = [];
  for (const ctx of contexts) {
    let fresh = await evaluateContext(s, ctx);
    const kept = ctx.results.filter((u) => keep.has(u) && !fresh.includes(u));
    if (kept.length > 0) fresh = ctx.sort ? [...fresh, ...kept] : [...fresh, ...kept].sort((a, b) => a - b);
    const old = new Set(ctx.results);
    const now = new Set(fresh);
    out.push({ ctx, fresh, removed: ctx.results.filter((u) => !now.has(u)), added: fresh.filter((u) => !old.has(u)) });
  }
  return out;
}

/** `* ESEARCH (TAG ..) [UID] ADDTO|REMOVEFROM (position set)` */
export function updateLine(ctx: SearchContext, kind: 'ADDTO' | 'REMOVEFROM', list: number[], uids: number[], seqOf: (u: number) => number): string | undefined {
  const nums = (ctx.uid ? uids : uids.map(seqOf)).filter((n) => n > 0);
  if (nums.length === 0) return undefined;
  const position = list.indexOf(uids[0]!) + 1;
  const set = formatSequenceSet(ctx.sort ? nums : [...nums].sort((a, b) => a - b));
  return `${esearchTag(ctx.tag)}${ctx.uid ? ' UID' : ''} ${kind} (${position} ${set})`;
}
