// FETCH and UID FETCH (RFC 3501 §6.4.5) with BINARY (RFC 3516), CONDSTORE MODSEQ / CHANGEDSINCE and
// QRESYNC VANISHED (RFC 7162), EMAILID/THREADID (RFC 8474 §5) and PREVIEW (RFC 8970). Body sections
// are streamed from the store as literals (../fetch/literal-stream.ts), never read whole; non-PEEK body
// fetches set \Seen first so the FLAGS in the same response are current.
import type { CommandSpec } from '../types.js';
import type { ImapSession } from '../session.js';
import { ImapSyntaxError } from '../proto/errors.js';
import { tokenText } from '../proto/args.js';
import { parseFetchItems, type FetchItem } from '../fetch/items.js';
import { sectionPlan } from '../fetch/section.js';
import { sectionSize, sectionValue, writeResponse, type MessageRef, type ResponsePiece } from '../fetch/literal-stream.js';
import { envelopeWire, bodyStructureWire } from '../fetch/structure.js';
import { formatFlags, hasFlag } from '../flags.js';
import { resolveUids, toUidSet } from '../resolve.js';
import { formatDateTime } from '../datetime.js';
import { imapString, type Wire } from '../proto/serialize.js';
import { formatSequenceSet } from '../proto/sequence.js';
import type { MessageMeta } from '../../store/types.js';
import { BytesGoneError } from '../../store/api/byte-source.js';
import { fetchHead, implicitUid } from '../uidonly.js';

/** Messages fetched per store round trip: bounds memory for `FETCH 1:* BODY[]` on big mailboxes. */
const BATCH = 100;

export const fetch: CommandSpec = {
  states: ['selected'],
  expungeAfter: false,
  async run(s, args, ctx) {
    const set = args.sequenceSet();
    const items = parseFetchItems(args.next('fetch attributes'));
    let changedSince: number | undefined;
    let vanished = false;
    if (args.remaining > 0) {
      const mods = args.list('fetch modifiers');
      for (let i = 0; i < mods.length; i++) {
        const k = tokenText(mods[i]!).toUpperCase();
        const caps = s.capabilities();
        if (k === 'CHANGEDSINCE' && caps.includes('CONDSTORE')) {
          const v = tokenText(mods[++i] ?? { type: 'atom', value: '' });
          if (!/^\d{1,19}$/.test(v)) throw new ImapSyntaxError('Invalid CHANGEDSINCE value');
          changedSince = Number(v);
          s.enableCondstore();
        } else if (k === 'VANISHED' && ctx.uid && s.enabled.has('QRESYNC')) {
          vanished = true;
        } else throw new ImapSyntaxError(`Unknown FETCH modifier ${k.slice(0, 30)}`);
      }
      if (vanished && changedSince === undefined) throw new ImapSyntaxError('VANISHED needs CHANGEDSINCE');
    }
    args.end();
    if (changedSince !== undefined || items.some((i) => i.kind === 'MODSEQ')) s.enableCondstore();
    if (ctx.uid && implicitUid(s) && !items.some((i) => i.kind === 'UID')) items.unshift({ kind: 'UID' });
    if (s.enabled.has('CONDSTORE') && changedSince !== undefined && !items.some((i) => i.kind === 'MODSEQ')) items.push({ kind: 'MODSEQ' });

    const view = s.selected!;
    let uids = resolveUids(s, set, ctx.uid);
    if (vanished && changedSince !== undefined && uids.length > 0) {
      const ch = await s.store.changedSince(view.owner, view.mailboxId, changedSince, toUidSet(uids));
      if (ch.vanished.length > 0) s.untagged(`VANISHED (EARLIER) ${formatSequenceSet(ch.vanished)}`);
    }
    if (changedSince !== undefined) {
      const since = changedSince;
      uids = uids.filter((u) => view.modseqOf(u) > since);
    }
    uids = uids.filter((u) => !view.ghosts.has(u));
    if (uids.length === 0) return;

    const marksSeen = !view.readOnly && view.rights.includes('s') && items.some((i) => i.kind === 'section' && !i.peek);
    if (marksSeen) {
      const unseen = uids.filter((u) => !hasFlag(view.flagsOf(u) ?? [], '\\Seen'));
      if (unseen.length > 0) {
        const r = await s.store.storeFlags(view.owner, view.mailboxId, toUidSet(unseen), { mode: 'add', flags: ['\\Seen'], origin: s.id });
        for (const m of r.messages) view.record(m);
        if (!items.some((i) => i.kind === 'FLAGS')) items.push({ kind: 'FLAGS' });
      }
    }
    await fetchMessages(s, uids, items);
  },
};

/**
 * Writes the FETCH responses for `uids` of the selected mailbox (FETCH, and NOTIFY's MessageNew
 * fetch attributes, RFC 5465 §5.2), reading the store in batches.
 */
export async function fetchMessages(s: ImapSession, uids: number[], items: FetchItem[]): Promise<void> {
  const view = s.selected!;
  const needParsed = items.some((i) => i.kind === 'BODY' || i.kind === 'BODYSTRUCTURE' || i.kind === 'section' || i.kind === 'BINARY.SIZE' || i.kind === 'PREVIEW');
  // ENVELOPE alone reads the envelope the store kept at ingest, not the whole parsed summary.
  const needEnvelope = !needParsed && items.some((i) => i.kind === 'ENVELOPE');
  const needMeta = needParsed || needEnvelope || items.some((i) => i.kind === 'INTERNALDATE' || i.kind === 'RFC822.SIZE' || i.kind === 'THREADID' || i.kind === 'SAVEDATE');
  for (let i = 0; i < uids.length; i += BATCH) {
    const batch = uids.slice(i, i + BATCH);
    const metas = needMeta ? await s.store.getMessages(view.owner, view.mailboxId, toUidSet(batch), { parsed: needParsed, envelope: needEnvelope }) : [];
    const byUid = new Map(metas.map((m) => [m.uid, m]));
    for (const uid of batch) {
      if (s.isClosed) return;
      const meta = byUid.get(uid);
      if (needMeta && !meta) continue; // expunged meanwhile; reported at the next allowed point
      try {
        await writeOne(s, uid, items, meta);
      } catch (err) {
        if (!(err instanceof BytesGoneError)) throw err;
        // Gone between the metadata read and the bytes, before any of its response was written:
        // skipped like a message expunged meanwhile.
        s.logger.debug({ err, uid }, 'imap fetch: message bytes gone before its response; skipped');
      }
      await s.connection.drain();
    }
  }
}

async function writeOne(s: ImapSession, uid: number, items: FetchItem[], meta: MessageMeta | undefined): Promise<void> {
  const view = s.selected!;
  const seq = view.seqOf(uid);
  const state = view.at(seq);
  if (!state) return;
  const utf8 = s.utf8;
  const parts: ResponsePiece[] = ['* ', `${fetchHead(s, seq, uid)} (`];
  const ref: MessageRef | undefined = meta && { store: s.store, account: view.owner, emailId: meta.emailId };
  let first = true;
  // Items are appended piece by piece (never spread into a call): an ENVELOPE or BODYSTRUCTURE of
  // a hostile message has more pieces than a call takes arguments.
  const add = (name: string, value?: ResponsePiece | ((out: Wire[]) => void)): void => {
    if (!first) parts.push(' ');
    first = false;
    parts.push(name);
    if (typeof value === 'function') {
      const out: Wire[] = [];
      value(out);
      for (const piece of out) parts.push(piece);
    } else if (value !== undefined) parts.push(value);
  };
  for (const item of items) {
    switch (item.kind) {
      case 'FLAGS':
        add(`FLAGS ${formatFlags(state.flags, view.recent.has(uid))}`);
        break;
      case 'UID':
        add(`UID ${uid}`);
        break;
      case 'MODSEQ':
        add(`MODSEQ (${state.modseq})`);
        break;
      case 'EMAILID':
        // RFC 8474 §5.1: the store's email id, the one JMAP calls Email.id.
        add(`EMAILID (${state.emailId})`);
        break;
      case 'THREADID':
        add(`THREADID (${meta!.threadId})`);
        break;
      case 'PREVIEW':
        // RFC 8970 §3.1: the JMAP preview (UTF-8, at most 256 characters), NIL when there is no text;
        // 8-bit text goes as a literal unless UTF8=ACCEPT is enabled (quoted strings are 7-bit).
        add('PREVIEW ', meta!.parsed!.preview ? imapString(meta!.parsed!.preview, { utf8 }) : 'NIL');
        break;
      case 'INTERNALDATE':
        add(`INTERNALDATE "${formatDateTime(meta!.receivedAt)}"`);
        break;
      case 'SAVEDATE':
        // RFC 8514 §3: every mailbox keeps save dates, so never NIL.
        add(`SAVEDATE "${formatDateTime(meta!.savedAt)}"`);
        break;
      case 'RFC822.SIZE':
        add(`RFC822.SIZE ${meta!.size}`);
        break;
      case 'ENVELOPE':
        add('ENVELOPE ', (out) => envelopeWire(meta!.envelope ?? meta!.parsed!.envelope, utf8, out));
        break;
      case 'BODY':
        add('BODY ', (out) => bodyStructureWire(meta!.parsed!.body, false, utf8, out));
        break;
      case 'BODYSTRUCTURE':
        add('BODYSTRUCTURE ', (out) => bodyStructureWire(meta!.parsed!.body, true, utf8, out));
        break;
      case 'BINARY.SIZE':
        add(`${item.responseName} ${await sectionSize(ref!, sectionPlan(meta!.parsed!.body, item.section, true, meta!.size))}`);
        break;
      case 'section': {
        const plan = sectionPlan(meta!.parsed!.body, item.section, item.binary, meta!.size);
        const value = await sectionValue(ref!, { plan, binary: item.binary, utf8, ...(item.partial ? { partial: item.partial } : {}) });
        add(`${item.responseName}${item.partial ? `<${item.partial.start}>` : ''} `, value ?? '""');
        break;
      }
    }
  }
  parts.push(')\r\n');
  await writeResponse(s, parts);
}
