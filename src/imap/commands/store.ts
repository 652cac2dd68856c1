// STORE (RFC 3501 §6.4.6) with UNCHANGEDSINCE and MODIFIED (RFC 7162 §3.1.3).
import type { CommandSpec } from '../types.js';
import { ImapNoError, ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';
import { parseFlags, formatFlags } from '../flags.js';
import { resolveUids, toUidSet } from '../resolve.js';
import { formatSequenceSet } from '../proto/sequence.js';
import type { FlagMode, MessageState } from '../../store/types.js';
import { fetchHead, implicitUid } from '../uidonly.js';

export const store: CommandSpec = {
  states: ['selected'],
  expungeAfter: false,
  async run(s, args, ctx) {
    const set = args.sequenceSet();
    let unchangedSince: number | undefined;
    if (args.peek()?.type === 'list') {
      const mods = args.list();
      for (let i = 0; i < mods.length; i++) {
        const k = tokenText(mods[i]!).toUpperCase();
        if (k !== 'UNCHANGEDSINCE' || !s.capabilities().includes('CONDSTORE')) throw new ImapSyntaxError(`Unknown STORE modifier ${k.slice(0, 30)}`);
        const v = tokenText(mods[++i] ?? { type: 'atom', value: '' });
        if (!/^\d{1,19}$/.test(v)) throw new ImapSyntaxError('Invalid UNCHANGEDSINCE value');
        unchangedSince = Number(v);
      }
      s.enableCondstore();
    }
    const item = args.atom('store item').toUpperCase();
    const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(item);
    if (!m) throw new ImapSyntaxError('Expected FLAGS, +FLAGS or -FLAGS');
    const op: FlagMode = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'set';
    const silent = m[2] !== undefined;
    const rest: import('../proto/tokens.js').Token[] = [];
    while (args.remaining > 0) {
      const t = args.next();
      if (t.type === 'list') for (const item of t.items) rest.push(item); // as many as the line holds: never spread
      else rest.push(t);
    }
    const flags = parseFlags(rest);
    const view = s.selected!;
    if (view.readOnly) throw new ImapNoError('Mailbox is read-only', view.readOnlyCode);
    const uids = resolveUids(s, set, ctx.uid);
    const live = uids.filter((u) => !view.ghosts.has(u));
    const result =
      live.length > 0
        ? await s.store.storeFlags(view.owner, view.mailboxId, toUidSet(live), {
            mode: op,
            flags,
            origin: s.id,
            ...(unchangedSince !== undefined ? { unchangedSince } : {}),
          })
        : { messages: [], modified: [], highestModSeq: 0 };
    const condstore = s.enabled.has('CONDSTORE');
    const updated = new Map<number, MessageState>();
    for (const m of result.messages) {
      if (m.changed) updated.set(m.uid, m);
      view.record(m);
    }
    const modified = new Set(result.modified);
    for (const uid of uids) {
      if (modified.has(uid)) continue;
      const seq = view.seqOf(uid);
      const st = view.at(seq);
      if (!st) continue;
      // With UNCHANGEDSINCE, a silent store still reports the new MODSEQ (RFC 7162 §3.1.3).
      if (silent && !(condstore && updated.has(uid) && unchangedSince !== undefined)) continue;
      const parts: string[] = [];
      if (!silent) parts.push(`FLAGS ${formatFlags(st.flags, view.recent.has(uid))}`);
      if ((ctx.uid || condstore) && implicitUid(s)) parts.push(`UID ${uid}`);
      if (condstore) parts.push(`MODSEQ (${st.modseq})`);
      s.untagged(`${fetchHead(s, seq, uid)} (${parts.join(' ')})`);
    }
    if (result.modified.length > 0) {
      const nums = ctx.uid ? result.modified : result.modified.map((u) => view.seqOf(u)).filter((n) => n > 0).sort((a, b) => a - b);
      return { code: `MODIFIED ${formatSequenceSet(nums)}`, text: 'Conditional STORE failed for some messages' };
    }
  },
};
