// The store as one user may use it (AclStore.actingAs) on PostgreSQL: the same decisions as the
// SQLite view (../sqlite/acting-store.ts), made with the shared rights helpers (../rights.ts). Calls on
// the actor's own account go straight to the store. A call on another account runs its rights check
// inside the operation's own transactions (TxGuard, context.ts): writes check right after locking the
// owner's account row, which SETACL/DELETEACL lock as well, reads as the first statement of their
// snapshot. A rights change committed by any node therefore either precedes the operation (refused)
// or follows it. An operation that ends before any transaction is checked afterwards, and when it
// fails before its check ran, the check's refusal is what the caller sees (as on SQLite, where the
// check comes first).
import type * as S from '../types.js';
import { ActingViewBase } from '../acting-view-base.js';
import { checkBasis, ownBlobsOnly, SharedAccountView, type WriteBasis } from '../shared-account.js';
import { ForbiddenError, NoPermissionError, NoSuchMailboxError } from '../errors.js';
import { isReachable, REPLACED_RIGHTS, rightsForFlags, rightsForMetadata } from '../rights.js';
import { accountId, readTx, withTxGuard, type Ctx, type TxGuard } from './context.js';
import type { Conn } from './db.js';
import { normalisePath } from '../sqlite/mailboxes.js';
import { encodeId } from '../sqlite/ids.js';
import type { PgMailStore } from './store.js';
import * as acl from './acl.js';

type Check = (q: Conn, ownerAccId: number | null) => Promise<void>;

const NO_CHECK: Check = async () => undefined;

export class PgActingMailStore extends ActingViewBase implements S.MailStore {
  constructor(
    private readonly ctx: Ctx,
    private readonly actor: S.Actor,
    protected readonly root: PgMailStore,
  ) {
    super();
  }

  private sharedView: SharedAccountView | undefined;

  /**
   * Account-wide JMAP operations on another account, within the mailboxes shared with the actor.
   * Made on first use: an IMAP session keeps its acting store for as long as it is connected, and
   * most never act on another account (issue #18, memory per IDLE connection).
   */
  private get shared(): SharedAccountView {
    this.sharedView ??= new SharedAccountView(this.root, this.actor, {
      updateEmails: (owner, basis, updates, options) => this.guarded(owner, this.verify(owner, basis), () => this.root.updateEmails(owner, updates, options)),
      destroyEmails: (owner, basis, ids, options) => this.guarded(owner, this.verify(owner, basis), () => this.root.destroyEmails(owner, ids, options)),
    });
    return this.sharedView;
  }

  /** A shared-account write's basis, checked again inside its transaction (RightsChangedError if gone). */
  private verify(owner: string, basis: WriteBasis): Check {
    return async (q, accId) => {
      const rights = new Map<string, string>();
      for (const m of basis.rights.keys()) rights.set(m, await acl.rightsOf(q, this.actor, owner, accId, m));
      const memberships = new Map<string, string[]>();
      for (const e of basis.memberships.keys()) memberships.set(e, await acl.emailMailboxes(q, e));
      checkBasis(basis, rights, memberships);
    };
  }

  private other(account: string): boolean {
    return account !== this.actor.user;
  }

  /** Account-wide operations are the owner's alone. */
  private async own<T>(account: string, what: string, op: () => Promise<T>): Promise<T> {
    if (this.other(account)) throw new ForbiddenError(`${what} of another account`);
    return op();
  }

  private need(owner: string, mailboxId: string, rights: string): Check {
    return async (q, accId) => void (await acl.requireRights(q, this.actor, owner, accId, mailboxId, rights));
  }

  /** Creating `path` in the owner's account needs "k" on its parent (RFC 4314 §4, CREATE). */
  private needCreateUnder(owner: string, path: string): Check {
    return async (q, accId) => {
      const trimmed = path.replace(/\/+$/, '');
      const slash = trimmed.lastIndexOf('/');
      if (slash < 0) throw new NoPermissionError('k');
      const parentPath = trimmed.slice(0, slash);
      let normalised: string;
      try {
        normalised = normalisePath(parentPath);
      } catch {
        throw new NoSuchMailboxError(parentPath);
      }
      const parent = accId === null ? undefined : await q.get<{ id: number }>('SELECT id FROM mailbox WHERE account_id = ? AND path = ?', accId, normalised);
      if (!parent) throw new NoSuchMailboxError(parentPath);
      await this.need(owner, encodeId('m', parent.id), 'k')(q, accId);
    };
  }

  /** Runs `op` (on the owner's account) with `check` inside its transactions; see the file comment. */
  private async guarded<T>(owner: string, check: Check, op: () => Promise<T>): Promise<T> {
    const accId = await accountId(this.ctx, owner);
    const guard: TxGuard = { ownerAccId: accId ?? -1, ran: false, check: (q) => check(q, accId) };
    const checkAlone = (): Promise<void> => readTx(this.ctx, (q) => check(q, accId));
    let out: T;
    try {
      out = await withTxGuard(guard, op);
    } catch (err) {
      if (!guard.ran) await checkAlone();
      throw err;
    }
    if (!guard.ran) await checkAlone();
    return out;
  }

  /** The actor's rights on each mailbox of the owner with an entry for the actor or "anyone". */
  private rightsByMailbox(owner: string): { check: Check; rights: Map<string, string> } {
    const rights = new Map<string, string>();
    const check: Check = async (q, accId) => {
      if (accId === null) return;
      const ids = await q.pluck<number>('SELECT DISTINCT a.mailbox_id FROM mailbox_acl a JOIN mailbox m ON m.id = a.mailbox_id WHERE m.account_id = ?', accId);
      for (const id of ids) rights.set(encodeId('m', id), await acl.rightsOf(q, this.actor, owner, accId, encodeId('m', id)));
    };
    return { check, rights };
  }

  private async visibleOnly(owner: string, op: () => Promise<S.Mailbox | null>, reach?: S.MailboxReach): Promise<S.Mailbox | null> {
    const { check, rights } = this.rightsByMailbox(owner);
    const box = await this.guarded(owner, check, op);
    return box && isReachable(rights.get(box.id) ?? '', reach) ? box : null;
  }

  // ---- accounts -------------------------------------------------------------------------------

  ensureAccount(account: string): Promise<S.Account> {
    return this.own(account, 'creating', () => this.root.ensureAccount(account));
  }
  getAccount(account: string): Promise<S.Account | null> {
    return this.other(account) ? Promise.resolve(null) : this.root.getAccount(account);
  }
  deleteAccount(account: string): Promise<void> {
    return this.own(account, 'deleting', () => this.root.deleteAccount(account));
  }

  // ---- mailboxes ------------------------------------------------------------------------------

  async listMailboxes(account: string): Promise<S.Mailbox[]> {
    if (!this.other(account)) return this.root.listMailboxes(account);
    const { check, rights } = this.rightsByMailbox(account);
    const boxes = await this.guarded(account, check, () => this.root.listMailboxes(account));
    return boxes.filter((b) => (rights.get(b.id) ?? '').includes('l'));
  }
  getMailbox(account: string, mailboxId: string): Promise<S.Mailbox | null> {
    if (!this.other(account)) return this.root.getMailbox(account, mailboxId);
    return this.visibleOnly(account, () => this.root.getMailbox(account, mailboxId));
  }
  findMailboxByPath(account: string, path: string, reach?: S.MailboxReach): Promise<S.Mailbox | null> {
    if (!this.other(account)) return this.root.findMailboxByPath(account, path);
    return this.visibleOnly(account, () => this.root.findMailboxByPath(account, path), reach);
  }
  findMailboxByRole(account: string, role: S.MailboxRole): Promise<S.Mailbox | null> {
    if (!this.other(account)) return this.root.findMailboxByRole(account, role);
    return this.visibleOnly(account, () => this.root.findMailboxByRole(account, role));
  }
  createMailbox(account: string, spec: S.CreateMailboxSpec, options?: S.WriteOptions): Promise<S.Mailbox> {
    if (!this.other(account)) return this.root.createMailbox(account, spec, options);
    const check: Check = async (q, accId) => {
      if ('path' in spec) await this.needCreateUnder(account, spec.path)(q, accId);
      else if (spec.parentId === null) throw new NoPermissionError('k');
      else await this.need(account, spec.parentId, 'k')(q, accId);
    };
    return this.guarded(account, check, () => this.root.createMailbox(account, spec, options));
  }
  renameMailbox(account: string, mailboxId: string, newPath: string, options?: S.WriteOptions): Promise<S.Mailbox> {
    if (!this.other(account)) return this.root.renameMailbox(account, mailboxId, newPath, options);
    const check: Check = async (q, accId) => {
      await this.need(account, mailboxId, 'x')(q, accId);
      await this.needCreateUnder(account, newPath)(q, accId);
    };
    return this.guarded(account, check, () => this.root.renameMailbox(account, mailboxId, newPath, options));
  }
  updateMailbox(account: string, mailboxId: string, update: S.MailboxUpdate, options?: S.WriteOptions): Promise<S.Mailbox> {
    if (!this.other(account)) return this.root.updateMailbox(account, mailboxId, update, options);
    return this.guarded(account, this.need(account, mailboxId, 'a'), () => this.root.updateMailbox(account, mailboxId, update, options));
  }
  deleteMailbox(account: string, mailboxId: string, options: S.DeleteMailboxOptions): Promise<void> {
    if (!this.other(account)) return this.root.deleteMailbox(account, mailboxId, options);
    return this.guarded(account, this.need(account, mailboxId, 'x'), () => this.root.deleteMailbox(account, mailboxId, options));
  }
  subscribePath(account: string, path: string, options?: S.WriteOptions): Promise<void> {
    return this.own(account, 'subscriptions', () => this.root.subscribePath(account, path, options));
  }
  unsubscribePath(account: string, path: string, options?: S.WriteOptions): Promise<boolean> {
    return this.own(account, 'subscriptions', () => this.root.unsubscribePath(account, path, options));
  }
  listOrphanSubscriptions(account: string): Promise<string[]> {
    return this.other(account) ? Promise.resolve([]) : this.root.listOrphanSubscriptions(account);
  }
  claimRecent(account: string, mailboxId: string, upToUid?: number): Promise<number[]> {
    if (!this.other(account)) return this.root.claimRecent(account, mailboxId, upToUid);
    return this.guarded(account, this.need(account, mailboxId, 'r'), () => this.root.claimRecent(account, mailboxId, upToUid));
  }
  peekRecent(account: string, mailboxId: string, upToUid?: number): Promise<number[]> {
    if (!this.other(account)) return this.root.peekRecent(account, mailboxId, upToUid);
    return this.guarded(account, this.need(account, mailboxId, 'r'), () => this.root.peekRecent(account, mailboxId, upToUid));
  }

  // ---- message writes ---------------------------------------------------------------------------

  async append(account: string, input: S.AppendInput, options?: S.AppendOptions): Promise<S.AppendResult> {
    const [result] = await this.appendMany(account, [input], options);
    return result!;
  }
  async appendMany(account: string, given: S.AppendInput[], options?: S.AppendOptions): Promise<S.AppendResult[]> {
    if (!this.other(account)) return this.root.appendMany(account, ownBlobsOnly(given), options);
    const inputs = await this.shared.actorSources(account, given);
    // "i" on every target, plus the rights for the flags set on arrival (RFC 4314 §4, APPEND).
    const check: Check = async (q, accId) => {
      for (const input of inputs) {
        const rights = 'i' + rightsForFlags(input.keywords ?? input.flags ?? []);
        for (const mailboxId of input.mailboxIds) await this.need(account, mailboxId, rights)(q, accId);
      }
      if (options?.replaces) await this.need(account, options.replaces.mailboxId, REPLACED_RIGHTS)(q, accId);
    };
    return this.guarded(account, check, () => this.root.appendMany(account, inputs, options));
  }
  copy(account: string, fromMailboxId: string, uids: S.UidSet, toMailboxId: string, options?: S.WriteOptions): Promise<S.CopyResult> {
    if (!this.other(account)) return this.root.copy(account, fromMailboxId, uids, toMailboxId, options);
    const check: Check = async (q, accId) => {
      await this.need(account, fromMailboxId, 'r')(q, accId);
      await this.need(account, toMailboxId, 'i')(q, accId);
    };
    return this.guarded(account, check, () => this.root.copy(account, fromMailboxId, uids, toMailboxId, options));
  }
  move(account: string, fromMailboxId: string, uids: S.UidSet, toMailboxId: string, options?: S.WriteOptions): Promise<S.CopyResult> {
    if (!this.other(account)) return this.root.move(account, fromMailboxId, uids, toMailboxId, options);
    // RFC 6851 §3.3 with RFC 4314: MOVE needs what COPY, STORE +FLAGS \Deleted and EXPUNGE need.
    const check: Check = async (q, accId) => {
      await this.need(account, fromMailboxId, 'rte')(q, accId);
      await this.need(account, toMailboxId, 'i')(q, accId);
    };
    return this.guarded(account, check, () => this.root.move(account, fromMailboxId, uids, toMailboxId, options));
  }
  storeFlags(account: string, mailboxId: string, uids: S.UidSet, request: S.StoreFlagsRequest): Promise<S.StoreFlagsResult> {
    if (!this.other(account)) return this.root.storeFlags(account, mailboxId, uids, request);
    // Replacing the flag list may clear any flag, so it needs every flag right.
    const needed = request.mode === 'set' ? 'swt' : rightsForFlags(request.flags);
    return this.guarded(account, this.need(account, mailboxId, needed), () => this.root.storeFlags(account, mailboxId, uids, request));
  }
  expunge(account: string, mailboxId: string, uids?: S.UidSet, options?: S.WriteOptions): Promise<{ uids: number[]; highestModSeq: number }> {
    if (!this.other(account)) return this.root.expunge(account, mailboxId, uids, options);
    return this.guarded(account, this.need(account, mailboxId, 'e'), () => this.root.expunge(account, mailboxId, uids, options));
  }
  updateEmails(account: string, updates: S.EmailUpdate[], options?: S.WriteOptions & { ifInState?: string }): Promise<S.EmailUpdateResult> {
    return this.other(account) ? this.shared.updateEmails(account, updates, options) : this.root.updateEmails(account, updates, options);
  }
  destroyEmails(account: string, emailIds: string[], options?: S.WriteOptions & { ifInState?: string }): Promise<S.DestroyResult> {
    return this.other(account) ? this.shared.destroyEmails(account, emailIds, options) : this.root.destroyEmails(account, emailIds, options);
  }

  // ---- reads ------------------------------------------------------------------------------------

  snapshot(account: string, mailboxId: string): Promise<S.MailboxSnapshot> {
    if (!this.other(account)) return this.root.snapshot(account, mailboxId);
    return this.guarded(account, this.need(account, mailboxId, 'r'), () => this.root.snapshot(account, mailboxId));
  }
  changedSince(account: string, mailboxId: string, sinceModSeq: number, uidRange?: S.UidSet): Promise<S.ChangedSinceResult> {
    if (!this.other(account)) return this.root.changedSince(account, mailboxId, sinceModSeq, uidRange);
    return this.guarded(account, this.need(account, mailboxId, 'r'), () => this.root.changedSince(account, mailboxId, sinceModSeq, uidRange));
  }
  getMessages(account: string, mailboxId: string, uids: S.UidSet, options?: { parsed?: boolean; envelope?: boolean }): Promise<S.MessageMeta[]> {
    if (!this.other(account)) return this.root.getMessages(account, mailboxId, uids, options);
    return this.guarded(account, this.need(account, mailboxId, 'r'), () => this.root.getMessages(account, mailboxId, uids, options));
  }
  async getEmails(account: string, emailIds: string[], options?: { parsed?: boolean }): Promise<S.EmailMeta[]> {
    if (!this.other(account)) return this.root.getEmails(account, emailIds, options);
    // Which of the asked emails the actor may read, decided in the snapshot the emails are read in.
    const readable = new Set<string>();
    const check: Check = async (q, accId) => {
      for (const id of emailIds) if (await acl.emailReadable(q, this.actor, account, accId, id)) readable.add(id);
    };
    const emails = await this.guarded(account, check, () => this.root.getEmails(account, emailIds, options));
    return this.shared.hidePrivateMailboxes(account, emails.filter((e) => readable.has(e.id)));
  }
  private readable(owner: string, emailId: string): Promise<boolean> {
    return readTx(this.ctx, async (q) => acl.emailReadable(q, this.actor, owner, await accountId(this.ctx, owner), emailId));
  }
  async readMessage(account: string, emailId: string, range?: S.ByteRange): Promise<Buffer | null> {
    if (!this.other(account)) return this.root.readMessage(account, emailId, range);
    // The bytes are read after the check; checking again before handing them out means a
    // revocation committed meanwhile still refuses them.
    if (!(await this.readable(account, emailId))) return null;
    const bytes = await this.root.readMessage(account, emailId, range);
    return (await this.readable(account, emailId)) ? bytes : null;
  }
  async openMessage(account: string, emailId: string, range?: S.ByteRange): Promise<S.ByteSource | null> {
    if (!this.other(account)) return this.root.openMessage(account, emailId, range);
    if (!(await this.readable(account, emailId))) return null;
    const source = await this.root.openMessage(account, emailId, range);
    return (await this.readable(account, emailId)) ? source : null;
  }
  getThreads(account: string, threadIds: string[]): Promise<S.ThreadInfo[]> {
    return this.other(account) ? this.shared.getThreads(account, threadIds) : this.root.getThreads(account, threadIds);
  }
  searchMailbox(account: string, mailboxId: string, request: S.MailboxSearchRequest): Promise<S.MailboxSearchResult> {
    if (!this.other(account)) return this.root.searchMailbox(account, mailboxId, request);
    return this.guarded(account, this.need(account, mailboxId, 'r'), () => this.root.searchMailbox(account, mailboxId, request));
  }
  queryEmails(account: string, request: S.EmailQueryRequest): Promise<S.EmailQueryResult> {
    return this.other(account) ? this.shared.queryEmails(account, request) : this.root.queryEmails(account, request);
  }
  getStates(account: string): Promise<S.AccountStates> {
    return this.other(account) ? this.shared.getStates(account) : this.root.getStates(account);
  }
  changes(account: string, type: 'Mailbox' | 'Email' | 'Thread', sinceState: string, maxChanges?: number): Promise<S.ChangesResult> {
    return this.other(account) ? this.shared.changes(account, type, sinceState, maxChanges) : this.root.changes(account, type, sinceState, maxChanges);
  }

  // ---- account-wide data: the owner's alone ----------------------------------------------------

  getQuota(account: string): Promise<S.QuotaUsage> {
    return this.own(account, 'quota', () => this.root.getQuota(account));
  }
  getQuotaLimits(account: string): Promise<S.QuotaLimitSources> {
    return this.own(account, 'quota', () => this.root.getQuotaLimits(account));
  }
  setQuota(account: string, limits: S.QuotaLevel | null): Promise<void> {
    return this.own(account, 'quota', () => this.root.setQuota(account, limits));
  }
  uploadBlob(account: string, bytes: Buffer | S.SpooledMessage, type: string): Promise<S.UploadedBlob> {
    return this.own(account, 'uploads', () => this.root.uploadBlob(account, bytes, type));
  }
  readBlob(account: string, blobId: string, range?: S.ByteRange): Promise<Buffer | null> {
    return this.other(account) ? this.shared.readBlob(account, blobId, range) : this.root.readBlob(account, blobId, range);
  }
  openBlob(account: string, blobId: string, range?: S.ByteRange): Promise<S.ByteSource | null> {
    return this.other(account) ? this.shared.openBlob(account, blobId, range) : this.root.openBlob(account, blobId, range);
  }
  blobSize(account: string, blobId: string): Promise<number | null> {
    return this.other(account) ? this.shared.blobSize(account, blobId) : this.root.blobSize(account, blobId);
  }
  emailsWithBlob(account: string, blobId: string): Promise<string[]> {
    return this.other(account) ? this.shared.emailsWithBlob(account, blobId) : this.root.emailsWithBlob(account, blobId);
  }
  getSetting(account: string, key: string): Promise<S.SettingValue> {
    return this.own(account, 'settings', () => this.root.getSetting(account, key));
  }
  setSetting(account: string, key: string, value: S.SettingInput, options?: S.WriteOptions & { ifInState?: string }): Promise<string> {
    return this.own(account, 'settings', () => this.root.setSetting(account, key, value, options));
  }

  // ---- rights ---------------------------------------------------------------------------------

  setRights(owner: string, mailboxId: string, identifier: string, rights: string, options?: S.AclWriteOptions): Promise<void> {
    if (!this.other(owner)) return this.root.setRights(owner, mailboxId, identifier, rights, options);
    return this.guarded(owner, this.need(owner, mailboxId, 'a'), () => this.root.setRights(owner, mailboxId, identifier, rights, { ...options, changedBy: this.actor.user }));
  }
  deleteRights(owner: string, mailboxId: string, identifier: string, options?: S.AclWriteOptions): Promise<boolean> {
    if (!this.other(owner)) return this.root.deleteRights(owner, mailboxId, identifier, options);
    return this.guarded(owner, this.need(owner, mailboxId, 'a'), () => this.root.deleteRights(owner, mailboxId, identifier, { ...options, changedBy: this.actor.user }));
  }
  listRights(owner: string, mailboxId: string): Promise<S.AclEntry[]> {
    if (!this.other(owner)) return this.root.listRights(owner, mailboxId);
    return this.guarded(owner, this.need(owner, mailboxId, 'a'), () => this.root.listRights(owner, mailboxId));
  }
  // Share notifications are the recipient's own.
  shareNotifications(user: string): Promise<{ state: string; list: S.ShareNotification[] }> {
    return this.own(user, 'share notifications', () => this.root.shareNotifications(user));
  }
  shareNotificationChanges(user: string, sinceState: string, maxChanges?: number): Promise<S.ShareNotificationChanges> {
    return this.own(user, 'share notifications', () => this.root.shareNotificationChanges(user, sinceState, maxChanges));
  }
  destroyShareNotifications(user: string, ids: readonly string[]): Promise<S.ShareNotificationDestroyResult> {
    return this.own(user, 'share notifications', () => this.root.destroyShareNotifications(user, ids));
  }
  grantDelegation(owner: string, delegate: string): Promise<void> {
    return this.own(owner, 'delegation', () => this.root.grantDelegation(owner, delegate));
  }
  revokeDelegation(owner: string, delegate: string): Promise<boolean> {
    return this.own(owner, 'delegation', () => this.root.revokeDelegation(owner, delegate));
  }
  listDelegates(owner: string): Promise<string[]> {
    return this.own(owner, 'delegation', () => this.root.listDelegates(owner));
  }

  // ---- Sieve scripts: the account's own (a delegate acting as another user never reaches them) ----

  listSieveScripts(account: string): Promise<S.SieveScriptInfo[]> {
    return this.own(account, 'Sieve scripts', () => this.root.listSieveScripts(account));
  }
  getSieveScript(account: string, name: string): Promise<S.SieveScript | null> {
    return this.own(account, 'Sieve scripts', () => this.root.getSieveScript(account, name));
  }
  getSieveScriptById(account: string, id: string): Promise<S.SieveScript | null> {
    return this.own(account, 'Sieve scripts', () => this.root.getSieveScriptById(account, id));
  }
  getActiveSieveScript(account: string): Promise<S.SieveScript | null> {
    return this.own(account, 'Sieve scripts', () => this.root.getActiveSieveScript(account));
  }
  putSieveScript(account: string, name: string, content: string, options?: S.SieveWriteOptions): Promise<S.SieveScriptInfo> {
    return this.own(account, 'Sieve scripts', () => this.root.putSieveScript(account, name, content, options));
  }
  renameSieveScript(account: string, oldName: string, newName: string, options?: S.SieveWriteOptions): Promise<S.SieveScriptInfo> {
    return this.own(account, 'Sieve scripts', () => this.root.renameSieveScript(account, oldName, newName, options));
  }
  deleteSieveScript(account: string, name: string, options?: S.SieveWriteOptions): Promise<void> {
    return this.own(account, 'Sieve scripts', () => this.root.deleteSieveScript(account, name, options));
  }
  setActiveSieveScript(account: string, name: string | null, options?: S.SieveWriteOptions): Promise<void> {
    return this.own(account, 'Sieve scripts', () => this.root.setActiveSieveScript(account, name, options));
  }
  sieveScriptState(account: string): Promise<string> {
    return this.own(account, 'Sieve scripts', () => this.root.sieveScriptState(account));
  }
  sieveScriptChanges(account: string, sinceState: string, maxChanges?: number): Promise<S.SieveScriptChanges> {
    return this.own(account, 'Sieve scripts', () => this.root.sieveScriptChanges(account, sinceState, maxChanges));
  }
  // Operations not tied to an account, and close(): ActingViewBase.

  // ---- annotations (RFC 5464) ---------------------------------------------------------------------

  getMetadata(account: string, mailboxId: string | null, names: readonly string[], depth: S.MetadataDepth): Promise<S.MetadataEntry[]> {
    if (!this.other(account)) return this.root.getMetadata(account, mailboxId, names, depth);
    // Another account's server entries are nobody else's business; /private ones are the actor's own.
    if (mailboxId === null) return Promise.reject(new ForbiddenError('server annotations of another account'));
    const check = this.need(account, mailboxId, rightsForMetadata());
    return this.guarded(account, check, () => this.root.getMetadata(account, mailboxId, names, depth, this.actor.user));
  }
  setMetadata(account: string, mailboxId: string | null, changes: readonly S.MetadataChange[], limits: S.MetadataLimits, options?: S.MetadataWriteOptions): Promise<void> {
    if (!this.other(account)) return this.root.setMetadata(account, mailboxId, changes, limits, options);
    if (mailboxId === null) return Promise.reject(new ForbiddenError('server annotations of another account'));
    const check = this.need(account, mailboxId, rightsForMetadata(changes));
    return this.guarded(account, check, () => this.root.setMetadata(account, mailboxId, changes, limits, { ...options, user: this.actor.user }));
  }
}
