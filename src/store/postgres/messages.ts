// Message writes on PostgreSQL: append (a blob over one chunk committed first on its own; a smaller
// one with the rows, in one transaction), copy/move (COPYUID), IMAP STORE with UNCHANGEDSINCE,
// expunge, and JMAP keyword/mailboxIds patches and destroy.
// The rules are the SQLite engine's (../sqlite/messages.ts). No group commit here: PostgreSQL groups
// concurrent commits' WAL flushes itself, and each append's transaction is short.
import type {
  AppendInput,
  AppendOptions,
  AppendResult,
  CopyResult,
  DestroyResult,
  EmailUpdate,
  EmailUpdateResult,
  MessageSource,
  SetPatch,
  StoreFlagsRequest,
  StoreFlagsResult,
  UidSet,
  WriteOptions,
} from '../types.js';
import { InvalidArgumentError, NoSuchBlobError, NoSuchMailboxError, StateMismatchError } from '../errors.js';
import type { Ctx, EmailRow, MailboxRow } from './context.js';
import { accountId, allocModseq, keywordState, requireAccount, requireMailbox, writeTx } from './context.js';
import type { Conn, SqlParam } from './db.js';
import { ChangeBatch } from './batch.js';
import { decodeId, encodeId } from '../sqlite/ids.js';
import { checkQuota, cloneEmail, destroyEmailRow, insertEmail, placeEmail, removeMembership, settleEmail, touchEmail } from './mutations.js';
import { admitIngest, ingestSource, isStoredBlob, sourceSize, type Ingested, type KnownSource } from '../ingest.js';
import { SpooledMessage } from '../spool/spooled.js';
import { PgBlobs } from './blobs.js';
import { readableBlobSize } from './extras.js';
import { applyFlagChange, DRAFT, isDeletedFlag, SEEN, sameKeywords, toImapFlags, toJmapKeywords, toKeywordState, type KeywordState } from '../keywords.js';
import { uidSetSql } from './search-sql.js';

/** Runs one account write with a change batch; publishes its events after commit. */
async function batchWrite<T>(ctx: Ctx, account: string, accId: number, origin: string | undefined, fn: (q: Conn, batch: ChangeBatch) => Promise<T>): Promise<T> {
  return (await batchWriteState(ctx, account, accId, origin, fn)).out;
}

/** batchWrite that also returns the Email state the transaction committed (JMAP /set newState). */
async function batchWriteState<T>(
  ctx: Ctx,
  account: string,
  accId: number,
  origin: string | undefined,
  fn: (q: Conn, batch: ChangeBatch) => Promise<T>,
): Promise<{ out: T; emailState: string }> {
  const batch = new ChangeBatch(account, accId, origin);
  const { out, emailState } = await writeTx(
    ctx,
    accId,
    async (q) => {
      const result = await fn(q, batch);
      await batch.commitStates(q);
      return { out: result, events: await batch.events(q), emailState: await checkState(q, accId, undefined) };
    },
    (r) => r.events,
  );
  return { out, emailState };
}

export async function appendMany(ctx: Ctx, account: string, inputs: AppendInput[], options?: AppendOptions): Promise<AppendResult[]> {
  const accId = await requireAccount(ctx, account);
  if (!inputs.length) return [];
  for (const i of inputs) {
    if (!i.mailboxIds.length) throw new InvalidArgumentError('append needs at least one mailbox');
    if (!Buffer.isBuffer(i.bytes) && !(i.bytes instanceof SpooledMessage) && !isStoredBlob(i.bytes)) {
      throw new InvalidArgumentError('append needs bytes, a spooled message or a stored blob');
    }
  }
  const sources: KnownSource[] = [];
  for (const i of inputs) sources.push(await knownSource(ctx, accId, i.bytes));
  const sizes = sources.map(sourceSize);
  // Mailboxes and quota are checked before any blob is written, then again in the transaction.
  await precheck(ctx, ctx.q, account, accId, inputs, sizes);
  const release = await admitIngest(sources);
  try {
    // One message read back at a time (files), so a MULTIAPPEND is not all in memory at once.
    const ingested: Ingested[] = [];
    for (const source of sources) ingested.push(await ingestSource(ctx.blobs, source));
    return await batchWrite(ctx, account, accId, options?.origin, async (q, batch) => {
      batch.delivery = options?.delivery === true;
      // Small messages' bytes commit with their rows (PgBlobs.stageInline), in hash order.
      const staged = new Map(ingested.flatMap((p) => (p.inline ? [[p.blob, p.inline] as const] : [])));
      for (const hash of [...staged.keys()].sort()) await ctx.blobs.writeInline(q, hash, staged.get(hash)!);
      await precheck(ctx, q, account, accId, inputs, sizes);
      const out: AppendResult[] = [];
      for (const [k, input] of inputs.entries()) {
        const p = ingested[k]!;
        const modseq = await allocModseq(q, accId);
        const kw = toKeywordState(input.keywords ?? input.flags ?? []);
        const receivedAt = (input.receivedAt ?? new Date()).getTime();
        const { id, threadId } = await insertEmail(q, batch, accId, { blob: p.blob, size: p.size, receivedAt, keywords: kw, analysis: p.analysis }, modseq);
        const deleted = (input.keywords ? [] : input.flags ?? []).some(isDeletedFlag) ? 1 : 0;
        const placements = [];
        for (const mbId of [...new Set(input.mailboxIds)]) {
          const mb = await requireMailbox(q, accId, mbId);
          const uid = await placeEmail(q, batch, mb, id, modseq, deleted);
          placements.push({ mailboxId: mbId, uidValidity: mb.uid_validity, uid, modseq });
        }
        if (batch.delivery) batch.state('delivery_state', modseq);
        out.push({ emailId: encodeId('e', id), blobId: p.blob, threadId: encodeId('t', threadId), size: p.size, receivedAt: new Date(receivedAt), placements });
      }
      // IMAP REPLACE (RFC 8508): the replaced membership goes in the append's transaction.
      if (options?.replaces) {
        const mb = await requireMailbox(q, accId, options.replaces.mailboxId);
        for (const m of await selectMembers(q, mb.id, [options.replaces.uid])) {
          const modseq = await allocModseq(q, accId);
          await removeMembership(q, batch, mb.id, m.uid, modseq);
          await settleEmail(q, batch, m.email_id, modseq);
        }
      }
      return out;
    });
  } finally {
    release();
  }
}

/** A stored blob becomes its id and size, once the account is known to be allowed to read it. */
async function knownSource(ctx: Ctx, accId: number, source: MessageSource): Promise<KnownSource> {
  if (!isStoredBlob(source)) return source;
  const blob = source.storedBlob;
  const reader = source.of === undefined ? accId : await accountId(ctx, source.of);
  const size = reader !== null && PgBlobs.isBlobId(blob) ? await readableBlobSize(ctx.q, reader, blob) : undefined;
  if (size === undefined) throw new NoSuchBlobError(blob);
  return { blob, size };
}

async function precheck(ctx: Ctx, q: Conn, account: string, accId: number, inputs: AppendInput[], sizes: number[]): Promise<void> {
  for (const mb of new Set(inputs.flatMap((i) => i.mailboxIds))) await requireMailbox(q, accId, mb);
  await checkQuota(ctx, q, account, accId, sizes.reduce((n, size) => n + size, 0), inputs.length);
}

interface MemberRow {
  uid: number;
  email_id: number;
  modseq: number;
  deleted: number;
  flags: number;
  keywords: string;
}

function selectMembers(q: Conn, mailboxId: number, uids: UidSet | undefined, extra = ''): Promise<MemberRow[]> {
  const p: SqlParam[] = [mailboxId];
  const where = uids ? `AND ${uidSetSql(uids, 'm.uid', p)}` : '';
  return q.all<MemberRow>(
    `SELECT m.uid, m.email_id, m.modseq, m.deleted, e.flags, e.keywords FROM msg m JOIN email e ON e.id = m.email_id
      WHERE m.mailbox_id = ? ${where} ${extra} ORDER BY m.uid`,
    ...p,
  );
}

async function emailRow(q: Conn, id: number): Promise<EmailRow> {
  return (await q.get<EmailRow>('SELECT * FROM email WHERE id = ?', id))!;
}

export async function copyOrMove(
  ctx: Ctx,
  account: string,
  fromMailboxId: string,
  uids: UidSet,
  toMailboxId: string,
  move: boolean,
  options?: WriteOptions,
): Promise<CopyResult> {
  const accId = await requireAccount(ctx, account);
  return batchWrite(ctx, account, accId, options?.origin, async (q, batch) => {
    const src = await requireMailbox(q, accId, fromMailboxId);
    const dst = await requireMailbox(q, accId, toMailboxId);
    const members = await selectMembers(q, src.id, uids);
    // Copies into a mailbox that already holds the email become new emails and count against quota.
    const inDst = new Set(await q.pluck<number>('SELECT email_id FROM msg WHERE mailbox_id = ?', dst.id));
    const clones = members.filter((m) => inDst.has(m.email_id) || src.id === dst.id);
    if (clones.length) {
      let bytes = 0;
      for (const m of clones) bytes += (await emailRow(q, m.email_id)).size;
      await checkQuota(ctx, q, account, accId, bytes, clones.length);
    }
    const sourceUids: number[] = [];
    const destinationUids: number[] = [];
    let sourceModSeq: number | undefined;
    for (const m of members) {
      const modseq = await allocModseq(q, accId);
      let emailId = m.email_id;
      if (inDst.has(emailId) || src.id === dst.id) emailId = await cloneEmail(q, batch, await emailRow(q, m.email_id), modseq);
      else await touchEmail(q, batch, emailId, modseq);
      inDst.add(emailId);
      const uid = await placeEmail(q, batch, dst, emailId, modseq, m.deleted);
      sourceUids.push(m.uid);
      destinationUids.push(uid);
      if (move) {
        await removeMembership(q, batch, src.id, m.uid, modseq);
        await settleEmail(q, batch, m.email_id, modseq);
        sourceModSeq = modseq;
      }
    }
    return { uidValidity: dst.uid_validity, sourceUids, destinationUids, ...(sourceModSeq !== undefined ? { sourceModSeq } : {}) };
  });
}

/** Writes a new keyword state to the email and bumps the MODSEQ of all its memberships. */
async function writeKeywords(q: Conn, batch: ChangeBatch, emailId: number, before: KeywordState, after: KeywordState, modseq: number): Promise<void> {
  await q.run('UPDATE email SET flags = ?, keywords = ?, updated_modseq = ? WHERE id = ?', after.bits, JSON.stringify(after.others).replace(/\0/g, ''), modseq, emailId);
  batch.state('email_state', modseq);
  const countsChanged = ((before.bits ^ after.bits) & (SEEN | DRAFT)) !== 0;
  const members = await q.all<{ mailbox_id: number; uid: number; deleted: number }>('UPDATE msg SET modseq = ? WHERE email_id = ? RETURNING mailbox_id, uid, deleted', modseq, emailId);
  for (const m of members) {
    // updated_modseq feeds Mailbox/changes: only $seen/$draft alter what JMAP shows of a mailbox.
    if (countsChanged) await q.run('UPDATE mailbox SET highest_modseq = greatest(highest_modseq, ?), updated_modseq = ? WHERE id = ?', modseq, modseq, m.mailbox_id);
    else await q.run('UPDATE mailbox SET highest_modseq = greatest(highest_modseq, ?) WHERE id = ?', modseq, m.mailbox_id);
    batch.flagsChanged(m.mailbox_id, { uid: m.uid, emailId: encodeId('e', emailId), modseq, flags: toImapFlags(after, m.deleted === 1) });
  }
  if (countsChanged) batch.state('mailbox_state', modseq);
}

export async function storeFlags(ctx: Ctx, account: string, mailboxId: string, uids: UidSet, req: StoreFlagsRequest): Promise<StoreFlagsResult> {
  const accId = await requireAccount(ctx, account);
  const change = toKeywordState(req.flags);
  const deletedInRequest = req.flags.some(isDeletedFlag);
  return batchWrite(ctx, account, accId, req.origin, async (q, batch) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    const members = await selectMembers(q, mb.id, uids);
    const out: StoreFlagsResult['messages'] = [];
    const modified: number[] = [];
    for (const m of members) {
      const before = keywordState(m.flags, m.keywords);
      if (req.unchangedSince !== undefined && m.modseq > req.unchangedSince) {
        modified.push(m.uid);
        continue;
      }
      const after = applyFlagChange(before, req.mode, change);
      let deleted = m.deleted === 1;
      if (req.mode === 'set') deleted = deletedInRequest;
      else if (deletedInRequest) deleted = req.mode === 'add';
      const kwChanged = !sameKeywords(before, after);
      const delChanged = deleted !== (m.deleted === 1);
      if (!kwChanged && !delChanged) {
        out.push({ uid: m.uid, emailId: encodeId('e', m.email_id), modseq: m.modseq, flags: toImapFlags(before, deleted), changed: false });
        continue;
      }
      const modseq = await allocModseq(q, accId);
      if (delChanged) {
        await q.run('UPDATE msg SET deleted = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?', deleted ? 1 : 0, modseq, mb.id, m.uid);
        await q.run('UPDATE mailbox SET highest_modseq = greatest(highest_modseq, ?) WHERE id = ?', modseq, mb.id);
        if (!kwChanged) batch.flagsChanged(mb.id, { uid: m.uid, emailId: encodeId('e', m.email_id), modseq, flags: toImapFlags(after, deleted) });
      }
      if (kwChanged) await writeKeywords(q, batch, m.email_id, before, after, modseq);
      out.push({ uid: m.uid, emailId: encodeId('e', m.email_id), modseq, flags: toImapFlags(after, deleted), changed: true });
    }
    const highest = (await q.get<{ highest_modseq: number }>('SELECT highest_modseq FROM mailbox WHERE id = ?', mb.id))!.highest_modseq;
    return { messages: out, modified, highestModSeq: highest };
  });
}

export async function expunge(ctx: Ctx, account: string, mailboxId: string, uids: UidSet | undefined, options?: WriteOptions): Promise<{ uids: number[]; highestModSeq: number }> {
  const accId = await requireAccount(ctx, account);
  return batchWrite(ctx, account, accId, options?.origin, async (q, batch) => {
    const mb = await requireMailbox(q, accId, mailboxId);
    const members = await selectMembers(q, mb.id, uids, 'AND m.deleted = 1');
    for (const m of members) {
      const modseq = await allocModseq(q, accId);
      await removeMembership(q, batch, mb.id, m.uid, modseq);
      await settleEmail(q, batch, m.email_id, modseq);
    }
    const highest = (await q.get<{ highest_modseq: number }>('SELECT highest_modseq FROM mailbox WHERE id = ?', mb.id))!.highest_modseq;
    return { uids: members.map((m) => m.uid), highestModSeq: highest };
  });
}

async function checkState(q: Conn, accId: number, ifInState: string | undefined): Promise<string> {
  const state = String((await q.get<{ email_state: number }>('SELECT email_state FROM account WHERE id = ?', accId))!.email_state);
  if (ifInState !== undefined && ifInState !== state) throw new StateMismatchError(ifInState, state);
  return state;
}

function applyPatch(current: string[], patch: SetPatch, normalise: (s: string) => string): string[] {
  if ('set' in patch) return [...new Set(patch.set.map(normalise))];
  const out = new Set(current.map(normalise));
  for (const a of patch.add ?? []) out.add(normalise(a));
  for (const r of patch.remove ?? []) out.delete(normalise(r));
  return [...out];
}

export async function updateEmails(ctx: Ctx, account: string, updates: EmailUpdate[], options?: WriteOptions & { ifInState?: string }): Promise<EmailUpdateResult> {
  const accId = await requireAccount(ctx, account);
  let oldState = '';
  const { out, emailState } = await batchWriteState(ctx, account, accId, options?.origin, async (q, batch) => {
    oldState = await checkState(q, accId, options?.ifInState);
    const updated: string[] = [];
    const notUpdated: EmailUpdateResult['notUpdated'] = [];
    for (const u of updates) {
      const id = decodeId('e', u.emailId);
      const row = id === null ? undefined : await q.get<EmailRow>('SELECT * FROM email WHERE id = ? AND account_id = ?', id, accId);
      if (!row) {
        notUpdated.push({ emailId: u.emailId, type: 'notFound', description: 'no such email' });
        continue;
      }
      const before = keywordState(row.flags, row.keywords);
      const after = u.keywords ? toKeywordState(applyPatch(toJmapKeywords(before), u.keywords, (k) => k.toLowerCase())) : before;
      const members = await q.all<{ mailbox_id: number; uid: number; deleted: number }>('SELECT mailbox_id, uid, deleted FROM msg WHERE email_id = ?', row.id);
      let targets: MailboxRow[] | null = null;
      if (u.mailboxIds) {
        const wanted = applyPatch(members.map((m) => encodeId('m', m.mailbox_id)), u.mailboxIds, (s) => s);
        try {
          targets = [];
          for (const mb of wanted) targets.push(await requireMailbox(q, accId, mb));
        } catch (err) {
          if (!(err instanceof NoSuchMailboxError)) throw err;
          notUpdated.push({ emailId: u.emailId, type: 'invalidProperties', description: `mailboxIds: ${err.message}`, properties: ['mailboxIds'] });
          continue;
        }
        if (!targets.length) {
          notUpdated.push({ emailId: u.emailId, type: 'invalidProperties', description: 'mailboxIds: an email must be in at least one mailbox', properties: ['mailboxIds'] });
          continue;
        }
      }
      const modseq = await allocModseq(q, accId);
      if (!sameKeywords(before, after)) await writeKeywords(q, batch, row.id, before, after, modseq);
      if (targets) {
        const want = new Set(targets.map((t) => t.id));
        const have = new Set(members.map((m) => m.mailbox_id));
        for (const m of members) if (!want.has(m.mailbox_id)) await removeMembership(q, batch, m.mailbox_id, m.uid, modseq);
        for (const t of targets) if (!have.has(t.id)) await placeEmail(q, batch, t, row.id, modseq);
        await touchEmail(q, batch, row.id, modseq);
      }
      updated.push(u.emailId);
    }
    return { updated, notUpdated };
  });
  return { ...out, oldState, newState: emailState };
}

export async function destroyEmails(ctx: Ctx, account: string, emailIds: string[], options?: WriteOptions & { ifInState?: string }): Promise<DestroyResult> {
  const accId = await requireAccount(ctx, account);
  let oldState = '';
  const { out, emailState } = await batchWriteState(ctx, account, accId, options?.origin, async (q, batch) => {
    oldState = await checkState(q, accId, options?.ifInState);
    const destroyed: string[] = [];
    const notDestroyed: DestroyResult['notDestroyed'] = [];
    for (const eid of emailIds) {
      const id = decodeId('e', eid);
      const exists = id !== null && (await q.get('SELECT 1 FROM email WHERE id = ? AND account_id = ?', id, accId));
      if (!exists || id === null) {
        notDestroyed.push({ id: eid, type: 'notFound', description: 'no such email' });
        continue;
      }
      const modseq = await allocModseq(q, accId);
      const members = await q.all<{ mailbox_id: number; uid: number }>('SELECT mailbox_id, uid FROM msg WHERE email_id = ?', id);
      for (const m of members) await removeMembership(q, batch, m.mailbox_id, m.uid, modseq);
      await destroyEmailRow(q, batch, id, modseq);
      destroyed.push(eid);
    }
    return { destroyed, notDestroyed };
  });
  return { ...out, oldState, newState: emailState };
}
