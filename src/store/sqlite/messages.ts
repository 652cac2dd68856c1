// Message writes: append (blob first, fsynced, then one transaction), copy/move (COPYUID), IMAP
// STORE with UNCHANGEDSINCE, expunge, and JMAP keyword/mailboxIds patches and destroy.
import type {
  AppendInput,
  AppendOptions,
  AppendResult,
  CopyResult,
  DestroyResult,
  EmailUpdate,
  EmailUpdateResult,
  Placement,
  SetPatch,
  StoreFlagsRequest,
  StoreFlagsResult,
  UidSet,
  WriteOptions,
} from '../types.js';
import { InvalidArgumentError, NoSuchBlobError, NoSuchMailboxError, StateMismatchError } from '../errors.js';
import type { Ctx, EmailRow, MailboxRow } from './context.js';
import { accountId, allocModseq, keywordState, noteInserted, publishAll, readTx, requireMailbox, writeTx, sql } from './context.js';
import { requireAccount } from './mailboxes.js';
import { ChangeBatch } from './batch.js';
import { decodeId, encodeId } from './ids.js';
import { checkQuota, cloneEmail, insertEmail, placeEmail, removeMembership, settleEmail, destroyEmailRow, touchEmail } from './mutations.js';
import type { MessageAnalysis } from '../../mime/parse.js';
import type { MessageSource } from '../types.js';
import { BlobFiles } from '../blobs.js';
import { admitIngest, ingestSource, isStoredBlob, sourceSize, type Ingested, type KnownSource } from '../ingest.js';
import { SpooledMessage } from '../spool/spooled.js';
import { readableBlobSize } from './extras.js';
import {
  applyFlagChange,
  DRAFT,
  isDeletedFlag,
  SEEN,
  sameKeywords,
  toImapFlags,
  toKeywordState,
  toJmapKeywords,
  type KeywordState,
} from '../keywords.js';
import { uidSetSql, type SqlParam } from './search-sql.js';
import { abandonAppend, announceAppend, commitGrouped } from './group-commit.js';

interface Prepared {
  input: AppendInput;
  blob: string;
  size: number;
  analysis: MessageAnalysis;
  /** Bytes to store inline in the commit (Ingested.inline). */
  inline?: Buffer;
  /** The message is a blob stored before (by id), not new bytes. */
  stored: boolean;
}

/**
 * @param guard the acting view's rights check (./acting-store.ts): run with the first validation and
 * again inside the commit, so rights revoked while the blobs were written refuse the append.
 */
export async function appendMany(ctx: Ctx, account: string, inputs: AppendInput[], options?: AppendOptions, guard?: () => void): Promise<AppendResult[]> {
  guard?.();
  // Validate the account, mailboxes and quota before writing any blob (then again inside the
  // transaction), in one read transaction: its statements would otherwise each take and drop the
  // WAL read lock, and each might find the page cache made stale by another process's commit.
  const checked = readTx(ctx, () => {
    const accId = requireAccount(ctx, account);
    if (!inputs.length) return null;
    for (const i of inputs) {
      if (!i.mailboxIds.length) throw new InvalidArgumentError('append needs at least one mailbox');
      if (!Buffer.isBuffer(i.bytes) && !(i.bytes instanceof SpooledMessage) && !isStoredBlob(i.bytes)) {
        throw new InvalidArgumentError('append needs bytes, a spooled message or a stored blob');
      }
    }
    const sources = inputs.map((i) => knownSource(ctx, accId, i.bytes));
    const sizes = sources.map(sourceSize);
    precheck(ctx, account, accId, inputs, sizes);
    return { accId, sources, sizes };
  });
  if (!checked) return [];
  const { accId, sources, sizes } = checked;
  // Files are read back for parsing only within the process-wide budget, held until the commit
  // (and taken before the commit ticket, so waiting here never holds up others' commits).
  const release = await admitIngest(sources);
  try {
    return await appendAdmitted(ctx, account, accId, inputs, sources, sizes, options, guard);
  } finally {
    release();
  }
}

async function appendAdmitted(
  ctx: Ctx,
  account: string,
  accId: number,
  inputs: AppendInput[],
  sources: KnownSource[],
  sizes: number[],
  options: AppendOptions | undefined,
  guard: (() => void) | undefined,
): Promise<AppendResult[]> {
  // Blob files first, in parallel (their fsyncs overlap), then one grouped transaction (which also
  // stores the small messages kept inline).
  const ticket = announceAppend(ctx);
  let prepared: Prepared[];
  try {
    // Files one after another, so one message read back is in memory at a time (a MULTIAPPEND over
    // the budget is admitted alone, but not read all at once); buffers then in parallel.
    const ingested: Ingested[] = [];
    for (const [k, source] of sources.entries()) if (!Buffer.isBuffer(source)) ingested[k] = await ingestSource(ctx.blobs, source);
    await Promise.all(sources.map(async (source, k) => {
      if (Buffer.isBuffer(source)) ingested[k] = await ingestSource(ctx.blobs, source);
    }));
    prepared = inputs.map((input, k) => ({ input, ...ingested[k]!, stored: isStoredBlob(input.bytes) }));
  } catch (error) {
    abandonAppend(ctx, ticket);
    throw error;
  }
  const batch = new ChangeBatch(account, accId, options?.origin);
  batch.delivery = options?.delivery === true;
  const results = await commitGrouped(ctx, () => {
    guard?.();
    precheck(ctx, account, accId, inputs, sizes);
    const out: AppendResult[] = [];
    for (const p of prepared) {
      // The bytes commit with their rows, under the same WAL sync (sqlite/blob-store.ts).
      if (p.inline) ctx.blobs.writeInline(p.blob, p.inline);
      // A stored inline blob is collected by reference, not age: it may have lost its last one since.
      else if (p.stored && !ctx.blobs.existsSync(p.blob)) throw new NoSuchBlobError(p.blob);
      const modseq = allocModseq(ctx, accId);
      const kw = toKeywordState(p.input.keywords ?? p.input.flags ?? []);
      const receivedAt = (p.input.receivedAt ?? new Date()).getTime();
      const { id, threadId } = insertEmail(ctx, batch, accId, { blob: p.blob, size: p.size, receivedAt, keywords: kw, analysis: p.analysis }, modseq);
      const deleted = (p.input.keywords ? [] : p.input.flags ?? []).some(isDeletedFlag) ? 1 : 0;
      const placements = [...new Set(p.input.mailboxIds)].map((mbId): Placement => {
        const mb = requireMailbox(ctx, accId, mbId);
        const uid = placeEmail(ctx, batch, mb, id, modseq, deleted);
        if (mbId === options?.claimRecentIn && claimAppended(ctx, mb, uid)) return { mailboxId: mbId, uidValidity: mb.uid_validity, uid, modseq, recent: true };
        return { mailboxId: mbId, uidValidity: mb.uid_validity, uid, modseq };
      });
      if (batch.delivery) batch.state('delivery_state', modseq);
      out.push({
        emailId: encodeId('e', id),
        blobId: p.blob,
        threadId: encodeId('t', threadId),
        size: p.size,
        receivedAt: new Date(receivedAt),
        placements,
      });
    }
    if (options?.replaces) {
      const mb = requireMailbox(ctx, accId, options.replaces.mailboxId);
      for (const m of selectMembers(ctx, mb.id, [options.replaces.uid])) {
        const modseq = allocModseq(ctx, accId);
        removeMembership(ctx, batch, mb.id, m.uid, modseq);
        settleEmail(ctx, batch, m.email_id, modseq);
      }
    }
    batch.commitStates(ctx);
    return out;
  }, ticket);
  noteInserted(ctx, results.length);
  await publishAll(ctx, batch.events(ctx));
  return results;
}

/**
 * Claims \Recent for the appended `uid` of `mb` (its row as read before the placement) when every
 * earlier message is claimed already: the claim is then this UID alone, as claimRecentSync would
 * make it right after the commit, but without a write transaction (and WAL sync) of its own.
 */
function claimAppended(ctx: Ctx, mb: MailboxRow, uid: number): boolean {
  if (mb.recent_uid !== uid - 1) return false;
  sql(ctx, 'UPDATE mailbox SET recent_uid = ? WHERE id = ?').run(uid, mb.id);
  return true;
}

/** A stored blob becomes its id and size, once the account is known to be allowed to read it. */
function knownSource(ctx: Ctx, accId: number, source: MessageSource): KnownSource {
  if (!isStoredBlob(source)) return source;
  const blob = source.storedBlob;
  const reader = source.of === undefined ? accId : accountId(ctx, source.of);
  const size = reader !== null && BlobFiles.isBlobId(blob) ? readableBlobSize(ctx, reader, blob) : undefined;
  if (size === undefined) throw new NoSuchBlobError(blob);
  return { blob, size };
}

function precheck(ctx: Ctx, account: string, accId: number, inputs: AppendInput[], sizes: number[]): void {
  for (const mb of new Set(inputs.flatMap((i) => i.mailboxIds))) requireMailbox(ctx, accId, mb);
  checkQuota(ctx, account, accId, sizes.reduce((n, size) => n + size, 0), inputs.length);
}

interface MemberRow {
  uid: number;
  email_id: number;
  modseq: number;
  deleted: number;
  flags: number;
  keywords: string;
}

function selectMembers(ctx: Ctx, mailboxId: number, uids: UidSet | undefined, extra = ''): MemberRow[] {
  const p: SqlParam[] = [mailboxId];
  const where = uids ? `AND ${uidSetSql(uids, 'm.uid', p)}` : '';
  return sql(ctx, 
      `SELECT m.uid, m.email_id, m.modseq, m.deleted, e.flags, e.keywords FROM msg m JOIN email e ON e.id = m.email_id
        WHERE m.mailbox_id = ? ${where} ${extra} ORDER BY m.uid`,
    )
    .all(...p) as MemberRow[];
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
  const accId = requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  const result = writeTx(ctx, () => {
    const src = requireMailbox(ctx, accId, fromMailboxId);
    const dst = requireMailbox(ctx, accId, toMailboxId);
    const members = selectMembers(ctx, src.id, uids);
    // Copies into a mailbox that already holds the email become new emails and count against quota.
    const inDst = new Set(
      sql(ctx, 'SELECT email_id FROM msg WHERE mailbox_id = ?').pluck().all(dst.id) as number[],
    );
    const clones = members.filter((m) => inDst.has(m.email_id) || (src.id === dst.id));
    if (clones.length) {
      const bytes = clones.reduce((n, m) => n + emailRow(ctx, m.email_id).size, 0);
      checkQuota(ctx, account, accId, bytes, clones.length);
    }
    const sourceUids: number[] = [];
    const destinationUids: number[] = [];
    let sourceModSeq: number | undefined;
    for (const m of members) {
      const modseq = allocModseq(ctx, accId);
      let emailId = m.email_id;
      if (inDst.has(emailId) || src.id === dst.id) emailId = cloneEmail(ctx, batch, emailRow(ctx, m.email_id), modseq);
      else touchEmail(ctx, batch, emailId, modseq);
      inDst.add(emailId);
      const uid = placeEmail(ctx, batch, dst, emailId, modseq, m.deleted);
      sourceUids.push(m.uid);
      destinationUids.push(uid);
      if (move) {
        removeMembership(ctx, batch, src.id, m.uid, modseq);
        settleEmail(ctx, batch, m.email_id, modseq);
        sourceModSeq = modseq;
      }
    }
    batch.commitStates(ctx);
    return { uidValidity: dst.uid_validity, sourceUids, destinationUids, ...(sourceModSeq !== undefined ? { sourceModSeq } : {}) };
  });
  await publishAll(ctx, batch.events(ctx));
  return result;
}

function emailRow(ctx: Ctx, id: number): EmailRow {
  return sql(ctx, 'SELECT * FROM email WHERE id = ?').get(id) as EmailRow;
}

/** Writes a new keyword state to the email and bumps the MODSEQ of all its memberships. */
function writeKeywords(ctx: Ctx, batch: ChangeBatch, emailId: number, before: KeywordState, after: KeywordState, modseq: number): void {
  sql(ctx, 'UPDATE email SET flags = ?, keywords = ?, updated_modseq = ? WHERE id = ?').run(after.bits, JSON.stringify(after.others), modseq, emailId);
  batch.state('email_state', modseq);
  const countsChanged = ((before.bits ^ after.bits) & (SEEN | DRAFT)) !== 0;
  const members = sql(ctx, 'UPDATE msg SET modseq = ? WHERE email_id = ? RETURNING mailbox_id, uid, deleted').all(modseq, emailId) as {
    mailbox_id: number;
    uid: number;
    deleted: number;
  }[];
  for (const m of members) {
    // updated_modseq feeds Mailbox/changes: only $seen/$draft alter what JMAP shows of a mailbox.
    if (countsChanged) sql(ctx, 'UPDATE mailbox SET highest_modseq = max(highest_modseq, ?), updated_modseq = ? WHERE id = ?').run(modseq, modseq, m.mailbox_id);
    else sql(ctx, 'UPDATE mailbox SET highest_modseq = max(highest_modseq, ?) WHERE id = ?').run(modseq, m.mailbox_id);
    batch.flagsChanged(m.mailbox_id, { uid: m.uid, emailId: encodeId('e', emailId), modseq, flags: toImapFlags(after, m.deleted === 1) });
  }
  if (countsChanged) batch.state('mailbox_state', modseq);
}

export async function storeFlags(ctx: Ctx, account: string, mailboxId: string, uids: UidSet, req: StoreFlagsRequest): Promise<StoreFlagsResult> {
  const accId = requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, req.origin);
  const change = toKeywordState(req.flags);
  const deletedInRequest = req.flags.some(isDeletedFlag);
  const result = writeTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    const members = selectMembers(ctx, mb.id, uids);
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
      const modseq = allocModseq(ctx, accId);
      if (delChanged) {
        sql(ctx, 'UPDATE msg SET deleted = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?').run(deleted ? 1 : 0, modseq, mb.id, m.uid);
        sql(ctx, 'UPDATE mailbox SET highest_modseq = max(highest_modseq, ?) WHERE id = ?').run(modseq, mb.id);
        if (!kwChanged) batch.flagsChanged(mb.id, { uid: m.uid, emailId: encodeId('e', m.email_id), modseq, flags: toImapFlags(after, deleted) });
      }
      if (kwChanged) writeKeywords(ctx, batch, m.email_id, before, after, modseq);
      out.push({ uid: m.uid, emailId: encodeId('e', m.email_id), modseq, flags: toImapFlags(after, deleted), changed: true });
    }
    batch.commitStates(ctx);
    const highest = (sql(ctx, 'SELECT highest_modseq FROM mailbox WHERE id = ?').get(mb.id) as { highest_modseq: number }).highest_modseq;
    return { messages: out, modified, highestModSeq: highest };
  });
  await publishAll(ctx, batch.events(ctx));
  return result;
}

export async function expunge(ctx: Ctx, account: string, mailboxId: string, uids: UidSet | undefined, options?: WriteOptions): Promise<{ uids: number[]; highestModSeq: number }> {
  const accId = requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  const result = writeTx(ctx, () => {
    const mb = requireMailbox(ctx, accId, mailboxId);
    const members = selectMembers(ctx, mb.id, uids, 'AND m.deleted = 1');
    for (const m of members) {
      const modseq = allocModseq(ctx, accId);
      removeMembership(ctx, batch, mb.id, m.uid, modseq);
      settleEmail(ctx, batch, m.email_id, modseq);
    }
    batch.commitStates(ctx);
    const highest = (sql(ctx, 'SELECT highest_modseq FROM mailbox WHERE id = ?').get(mb.id) as { highest_modseq: number }).highest_modseq;
    return { uids: members.map((m) => m.uid), highestModSeq: highest };
  });
  await publishAll(ctx, batch.events(ctx));
  return result;
}

function checkState(ctx: Ctx, accId: number, ifInState: string | undefined): string {
  const state = String((sql(ctx, 'SELECT email_state FROM account WHERE id = ?').get(accId) as { email_state: number }).email_state);
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

export async function updateEmails(
  ctx: Ctx,
  account: string,
  updates: EmailUpdate[],
  options?: WriteOptions & { ifInState?: string },
): Promise<EmailUpdateResult> {
  const accId = requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  const result = writeTx(ctx, () => {
    const oldState = checkState(ctx, accId, options?.ifInState);
    const updated: string[] = [];
    const notUpdated: EmailUpdateResult['notUpdated'] = [];
    for (const u of updates) {
      const id = decodeId('e', u.emailId);
      const row = id === null ? undefined : (sql(ctx, 'SELECT * FROM email WHERE id = ? AND account_id = ?').get(id, accId) as EmailRow | undefined);
      if (!row) {
        notUpdated.push({ emailId: u.emailId, type: 'notFound', description: 'no such email' });
        continue;
      }
      const before = keywordState(row.flags, row.keywords);
      const after = u.keywords ? toKeywordState(applyPatch(keywordsOf(before), u.keywords, (k) => k.toLowerCase())) : before;
      const members = sql(ctx, 'SELECT mailbox_id, uid, deleted FROM msg WHERE email_id = ?').all(row.id) as { mailbox_id: number; uid: number; deleted: number }[];
      let targets: MailboxRow[] | null = null;
      if (u.mailboxIds) {
        const wanted = applyPatch(members.map((m) => encodeId('m', m.mailbox_id)), u.mailboxIds, (s) => s);
        try {
          targets = wanted.map((mb) => requireMailbox(ctx, accId, mb));
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
      const modseq = allocModseq(ctx, accId);
      if (!sameKeywords(before, after)) writeKeywords(ctx, batch, row.id, before, after, modseq);
      if (targets) {
        const want = new Set(targets.map((t) => t.id));
        const have = new Set(members.map((m) => m.mailbox_id));
        for (const m of members) if (!want.has(m.mailbox_id)) removeMembership(ctx, batch, m.mailbox_id, m.uid, modseq);
        for (const t of targets) if (!have.has(t.id)) placeEmail(ctx, batch, t, row.id, modseq);
        touchEmail(ctx, batch, row.id, modseq);
      }
      updated.push(u.emailId);
    }
    batch.commitStates(ctx);
    return { updated, notUpdated, oldState, newState: checkState(ctx, accId, undefined) };
  });
  await publishAll(ctx, batch.events(ctx));
  return result;
}

function keywordsOf(state: KeywordState): string[] {
  return toJmapKeywords(state);
}

export async function destroyEmails(
  ctx: Ctx,
  account: string,
  emailIds: string[],
  options?: WriteOptions & { ifInState?: string },
): Promise<DestroyResult> {
  const accId = requireAccount(ctx, account);
  const batch = new ChangeBatch(account, accId, options?.origin);
  const result = writeTx(ctx, () => {
    const oldState = checkState(ctx, accId, options?.ifInState);
    const destroyed: string[] = [];
    const notDestroyed: DestroyResult['notDestroyed'] = [];
    for (const eid of emailIds) {
      const id = decodeId('e', eid);
      const exists = id !== null && sql(ctx, 'SELECT 1 FROM email WHERE id = ? AND account_id = ?').get(id, accId);
      if (!exists || id === null) {
        notDestroyed.push({ id: eid, type: 'notFound', description: 'no such email' });
        continue;
      }
      const modseq = allocModseq(ctx, accId);
      const members = sql(ctx, 'SELECT mailbox_id, uid FROM msg WHERE email_id = ?').all(id) as { mailbox_id: number; uid: number }[];
      for (const m of members) removeMembership(ctx, batch, m.mailbox_id, m.uid, modseq);
      destroyEmailRow(ctx, batch, id, modseq);
      destroyed.push(eid);
    }
    batch.commitStates(ctx);
    return { destroyed, notDestroyed, oldState, newState: checkState(ctx, accId, undefined) };
  });
  await publishAll(ctx, batch.events(ctx));
  return result;
}

