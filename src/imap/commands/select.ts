// SELECT and EXAMINE (RFC 3501 §6.3.1-2, CONDSTORE/QRESYNC parameters RFC 7162 §3.1.8/§3.2.5).
import type { CommandSpec, CommandContext } from '../types.js';
import type { Args } from '../proto/args.js';
import { tokenText } from '../proto/args.js';
import { ImapSyntaxError } from '../proto/errors.js';
import { parseSequenceSet, formatSequenceSet, MAX_UINT32 } from '../proto/sequence.js';
import { mailboxArg, findMailbox } from '../mailbox-name.js';
import { SelectedView, hasWriteRights } from '../selected.js';
import { PERMANENT_FLAGS, formatFlags, hasFlag } from '../flags.js';
import type { ImapSession } from '../session.js';
import type { Token } from '../proto/tokens.js';
import { rightsForFlags } from '../../store/types.js';
import { fetchHead, implicitUid, uidOnly } from '../uidonly.js';

interface QresyncParams {
  uidValidity: number;
  modseq: number;
  knownUids?: string;
}

function parseParams(s: ImapSession, list: Token[]): { condstore: boolean; qresync?: QresyncParams } {
  let condstore = false;
  let qresync: QresyncParams | undefined;
  const caps = new Set(s.capabilities().map((c) => c.toUpperCase()));
  for (let i = 0; i < list.length; i++) {
    const name = tokenText(list[i]!).toUpperCase();
    if (name === 'CONDSTORE' && caps.has('CONDSTORE')) condstore = true;
    else if (name === 'QRESYNC' && caps.has('QRESYNC')) {
      if (!s.enabled.has('QRESYNC')) throw new ImapSyntaxError('QRESYNC must be enabled first');
      const p = list[++i];
      if (!p || p.type !== 'list' || p.items.length < 2) throw new ImapSyntaxError('Invalid QRESYNC parameters');
      const uv = Number(tokenText(p.items[0]!));
      const ms = Number(tokenText(p.items[1]!));
      if (!Number.isSafeInteger(uv) || uv < 1 || !Number.isSafeInteger(ms) || ms < 0) throw new ImapSyntaxError('Invalid QRESYNC parameters');
      qresync = { uidValidity: uv, modseq: ms };
      if (p.items[2] && p.items[2].type === 'atom') qresync.knownUids = p.items[2].value;
    } else throw new ImapSyntaxError(`Unknown SELECT parameter ${name.slice(0, 30)}`);
  }
  return { condstore, qresync };
}

/** The flags the user may change for good: \Seen with "s", \Deleted with "t", the rest with "w". */
function permanentFlags(rights: string, keywords: Set<string>): string[] {
  const flags = PERMANENT_FLAGS.filter((f) => f !== '\\*').filter((f) => rightsForFlags([f]).split('').every((r) => rights.includes(r)));
  return rights.includes('w') ? [...flags, ...keywords, '\\*'] : flags;
}

async function open(s: ImapSession, args: Args, ctx: CommandContext, readOnly: boolean) {
  const name = mailboxArg(s, args);
  const params = args.remaining > 0 ? parseParams(s, args.list('select parameters')) : { condstore: false };
  args.end();
  if (s.selected) {
    s.unselect();
    if (s.enabled.has('QRESYNC') || s.rev2) s.untagged('OK [CLOSED] Previous mailbox closed');
  }
  const box = await findMailbox(s, name);
  const account = box.owner;
  const rights = await s.store.myRights(s.actor!, account, box.id);
  // Without any write right a shared mailbox opens read-only (RFC 4314 §4); "r" is needed at all.
  readOnly ||= !hasWriteRights(rights);
  const snap = await s.store.snapshot(account, box.id);
  const mb = snap.mailbox;
  if (params.condstore) s.enabled.add('CONDSTORE');
  const view = new SelectedView(mb.path, mb.id, readOnly, snap, account, rights);
  if (!s.rev2 && snap.messages.length > 0) {
    // \Recent (RFC 3501 §2.3.2): SELECT claims the messages no session has seen yet, up to the last
    // one in its snapshot; EXAMINE shows them without claiming.
    const last = snap.messages[snap.messages.length - 1]!.uid;
    const recent = readOnly ? await s.store.peekRecent(account, mb.id, last) : await s.store.claimRecent(account, mb.id, last);
    for (const uid of recent) if (view.seqOf(uid) > 0) view.recent.add(uid);
  }

  const keywords = new Set<string>();
  for (const m of snap.messages) for (const f of m.flags) if (!f.startsWith('\\')) keywords.add(f);
  const flags = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', ...keywords];
  s.untagged(`FLAGS ${formatFlags(flags, false)}`);
  s.untagged(`OK [PERMANENTFLAGS ${readOnly ? '()' : formatFlags(permanentFlags(rights, keywords), false)}] Flags permitted`);
  s.untagged(`${view.exists} EXISTS`);
  if (!s.rev2) {
    s.untagged(`${view.recent.size} RECENT`);
    const firstUnseen = snap.messages.findIndex((m) => !hasFlag(m.flags, '\\Seen'));
    // UNSEEN names a sequence number, which UIDONLY sessions never get (RFC 9586 §3).
    if (firstUnseen >= 0 && !uidOnly(s)) s.untagged(`OK [UNSEEN ${firstUnseen + 1}] First unseen`);
  }
  s.untagged(`OK [UIDVALIDITY ${mb.uidValidity}] UIDs valid`);
  s.untagged(`OK [UIDNEXT ${mb.uidNext}] Predicted next UID`);
  // RFC 8474 §4.1: the mailbox's object id, the same one JMAP calls Mailbox.id.
  s.untagged(`OK [MAILBOXID (${mb.id})] Ok`);
  const caps = new Set(s.capabilities());
  if (caps.has('CONDSTORE')) s.untagged(`OK [HIGHESTMODSEQ ${mb.highestModSeq}] Highest`);

  if (params.qresync && params.qresync.uidValidity === mb.uidValidity) {
    // Messages changed since the client's modseq, then the UIDs it knows that are gone.
    const q = params.qresync;
    const changed = snap.messages.filter((m) => m.modseq > q.modseq);
    for (const m of changed) {
      s.untagged(`${fetchHead(s, view.seqOf(m.uid), m.uid)} (${implicitUid(s) ? `UID ${m.uid} ` : ''}FLAGS ${formatFlags(m.flags, view.recent.has(m.uid))} MODSEQ (${m.modseq}))`);
    }
    const known = q.knownUids ? parseSequenceSet(q.knownUids) : undefined;
    const range = known && known.kind === 'ranges' ? known.ranges.map((r) => [Math.min(r.from, r.to) === -1 ? MAX_UINT32 : Math.min(r.from, r.to), Math.max(r.from, r.to) === -1 ? MAX_UINT32 : Math.max(r.from, r.to)] as const) : undefined;
    const ch = await s.store.changedSince(account, mb.id, q.modseq, range);
    if (ch.vanished.length > 0) s.untagged(`VANISHED (EARLIER) ${formatSequenceSet(ch.vanished)}`);
  }
  s.selected = view;
  s.state = 'selected';
  s.watchSelected();
  return { code: readOnly ? 'READ-ONLY' : 'READ-WRITE', text: `${ctx.name} completed` };
}

export const select: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  run: (s, args, ctx) => open(s, args, ctx, false),
};

export const examine: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  run: (s, args, ctx) => open(s, args, ctx, true),
};
