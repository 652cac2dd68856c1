// The store as one user may use it (AclStore.actingAs): the one place where access to another
// user's mailboxes is checked. Calls on the actor's own account go straight to the store. Calls on
// another account run the rights check (./acl.ts requireRights) and the operation in one step:
// writes in one IMMEDIATE transaction (the operation's own transaction becomes a savepoint of it),
// reads in one read transaction, appends inside their grouped commit. A SETACL committed by any
// node therefore either precedes the operation (which is refused) or follows it.
import type * as S from '../types.js';
import { ActingViewBase } from '../acting-view-base.js';
import { checkBasis, ownBlobsOnly, SharedAccountView, type WriteBasis } from '../shared-account.js';
import { ForbiddenError, NoPermissionError, NoSuchMailboxError } from '../errors.js';
import { isReachable, REPLACED_RIGHTS, rightsForFlags, rightsForMetadata } from '../rights.js';
import { readTx, writeTx, type Ctx } from './context.js';
import type { SqliteMailStore } from './store.js';
import * as acl from './acl.js';
import * as mailboxes from './mailboxes.js';
import * as messages from './messages.js';
import * as metadata from './metadata.js';
import * as reads from './reads.js';

export class ActingMailStore extends ActingViewBase implements S.MailStore {
  constructor(
    private readonly ctx: Ctx,
    private readonly actor: S.Actor,
    protected readonly root: SqliteMailStore,
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
      updateEmails: (owner, basis, updates, options) => this.checkedWrite(() => this.verify(owner, basis), () => messages.updateEmails(this.ctx, owner, updates, options)),
      destroyEmails: (owner, basis, ids, options) => this.checkedWrite(() => this.verify(owner, basis), () => messages.destroyEmails(this.ctx, owner, ids, options)),
    });
    return this.sharedView;
  }

  /** A shared-account write's basis, checked again inside its transaction (RightsChangedError if gone). */
  private verify(owner: string, basis: WriteBasis): void {
    const rights = new Map([...basis.rights.keys()].map((m) => [m, acl.rightsOfSync(this.ctx, this.actor, owner, m)]));
    const memberships = new Map([...basis.memberships.keys()].map((e) => [e, acl.emailMailboxesSync(this.ctx, e)]));
    checkBasis(basis, rights, memberships);
  }

  private other(account: string): boolean {
    return account !== this.actor.user;
  }

  private need(owner: string, mailboxId: string, rights: string): void {
    acl.requireRights(this.ctx, this.actor, owner, mailboxId, rights);
  }

  /** S.Account-wide operations are the owner's alone. */
  private own(account: string, what: string): void {
    if (this.other(account)) throw new ForbiddenError(`${what} of another account`);
  }

  /** Creating `path` in the owner's account needs "k" on its parent (RFC 4314 §4, CREATE). */
  private needCreateUnder(owner: string, path: string): void {
    const trimmed = path.replace(/\/+$/, '');
    const slash = trimmed.lastIndexOf('/');
    if (slash < 0) throw new NoPermissionError('k');
    const parent = mailboxes.findMailboxSync(this.ctx, owner, { path: trimmed.slice(0, slash) });
    if (!parent) throw new NoSuchMailboxError(trimmed.slice(0, slash));
    this.need(owner, parent.id, 'k');
  }

  private visible(owner: string, box: S.Mailbox | null, reach?: S.MailboxReach): S.Mailbox | null {
    return box && isReachable(acl.rightsOfSync(this.ctx, this.actor, owner, box.id), reach) ? box : null;
  }

  /** The check and the operation's (synchronously started) write transaction, as one transaction. */
  private checkedWrite<T>(check: () => void, op: () => T | Promise<T>): Promise<T> {
    return this.root.run(() => {
      let out!: T | Promise<T>;
      writeTx(this.ctx, () => {
        check();
        out = op();
      });
      return out;
    });
  }

  private checkedRead<T>(check: () => void, op: () => T): Promise<T> {
    return this.root.run(() => readTx(this.ctx, () => (check(), op())));
  }

  // ---- accounts -------------------------------------------------------------------------------

  ensureAccount(account: string): Promise<S.Account> {
    return this.root.run(() => (this.own(account, 'creating'), this.root.ensureAccount(account)));
  }
  getAccount(account: string): Promise<S.Account | null> {
    return this.other(account) ? Promise.resolve(null) : this.root.getAccount(account);
  }
  deleteAccount(account: string): Promise<void> {
    return this.root.run(() => (this.own(account, 'deleting'), this.root.deleteAccount(account)));
  }

  // ---- mailboxes ------------------------------------------------------------------------------

  listMailboxes(account: string): Promise<S.Mailbox[]> {
    if (!this.other(account)) return this.root.listMailboxes(account);
    return this.checkedRead(
      () => undefined,
      () => mailboxes.listMailboxesSync(this.ctx, account).filter((b) => acl.rightsOfSync(this.ctx, this.actor, account, b.id).includes('l')),
    );
  }
  getMailbox(account: string, mailboxId: string): Promise<S.Mailbox | null> {
    if (!this.other(account)) return this.root.getMailbox(account, mailboxId);
    return this.checkedRead(() => undefined, () => this.visible(account, mailboxes.getMailboxSync(this.ctx, account, mailboxId)));
  }
  findMailboxByPath(account: string, path: string, reach?: S.MailboxReach): Promise<S.Mailbox | null> {
    if (!this.other(account)) return this.root.findMailboxByPath(account, path);
    return this.checkedRead(() => undefined, () => this.visible(account, mailboxes.findMailboxSync(this.ctx, account, { path }), reach));
  }
  findMailboxByRole(account: string, role: S.MailboxRole): Promise<S.Mailbox | null> {
    if (!this.other(account)) return this.root.findMailboxByRole(account, role);
    return this.checkedRead(() => undefined, () => this.visible(account, mailboxes.findMailboxSync(this.ctx, account, { role })));
  }
  createMailbox(account: string, spec: S.CreateMailboxSpec, options?: S.WriteOptions): Promise<S.Mailbox> {
    if (!this.other(account)) return this.root.createMailbox(account, spec, options);
    return this.checkedWrite(
      () => {
        if ('path' in spec) this.needCreateUnder(account, spec.path);
        else if (spec.parentId === null) throw new NoPermissionError('k');
        else this.need(account, spec.parentId, 'k');
      },
      () => mailboxes.createMailbox(this.ctx, account, spec, options),
    );
  }
  renameMailbox(account: string, mailboxId: string, newPath: string, options?: S.WriteOptions): Promise<S.Mailbox> {
    if (!this.other(account)) return this.root.renameMailbox(account, mailboxId, newPath, options);
    return this.checkedWrite(
      () => {
        this.need(account, mailboxId, 'x');
        this.needCreateUnder(account, newPath);
      },
      () => mailboxes.renameMailbox(this.ctx, account, mailboxId, newPath, options),
    );
  }
  updateMailbox(account: string, mailboxId: string, update: S.MailboxUpdate, options?: S.WriteOptions): Promise<S.Mailbox> {
    if (!this.other(account)) return this.root.updateMailbox(account, mailboxId, update, options);
    return this.checkedWrite(() => this.need(account, mailboxId, 'a'), () => mailboxes.updateMailbox(this.ctx, account, mailboxId, update, options));
  }
  deleteMailbox(account: string, mailboxId: string, options: S.DeleteMailboxOptions): Promise<void> {
    if (!this.other(account)) return this.root.deleteMailbox(account, mailboxId, options);
    return this.checkedWrite(() => this.need(account, mailboxId, 'x'), () => mailboxes.deleteMailbox(this.ctx, account, mailboxId, options));
  }
  subscribePath(account: string, path: string, options?: S.WriteOptions): Promise<void> {
    return this.root.run(() => (this.own(account, 'subscriptions'), this.root.subscribePath(account, path, options)));
  }
  unsubscribePath(account: string, path: string, options?: S.WriteOptions): Promise<boolean> {
    return this.root.run(() => (this.own(account, 'subscriptions'), this.root.unsubscribePath(account, path, options)));
  }
  listOrphanSubscriptions(account: string): Promise<string[]> {
    return this.other(account) ? Promise.resolve([]) : this.root.listOrphanSubscriptions(account);
  }
  claimRecent(account: string, mailboxId: string, upToUid?: number): Promise<number[]> {
    if (!this.other(account)) return this.root.claimRecent(account, mailboxId, upToUid);
    return this.checkedWrite(() => this.need(account, mailboxId, 'r'), () => mailboxes.claimRecentSync(this.ctx, account, mailboxId, upToUid));
  }
  peekRecent(account: string, mailboxId: string, upToUid?: number): Promise<number[]> {
    if (!this.other(account)) return this.root.peekRecent(account, mailboxId, upToUid);
    return this.checkedRead(() => this.need(account, mailboxId, 'r'), () => mailboxes.peekRecentSync(this.ctx, account, mailboxId, upToUid));
  }

  // ---- message writes ---------------------------------------------------------------------------

  async append(account: string, input: S.AppendInput, options?: S.AppendOptions): Promise<S.AppendResult> {
    const [result] = await this.appendMany(account, [input], options);
    return result!;
  }
  async appendMany(account: string, given: S.AppendInput[], options?: S.AppendOptions): Promise<S.AppendResult[]> {
    if (!this.other(account)) return this.root.appendMany(account, ownBlobsOnly(given), options);
    // Stored blobs by id are checked against the actor's reach first (SharedAccountView.actorSources).
    const inputs = await this.shared.actorSources(account, given);
    // "i" on every target, plus the rights for the flags set on arrival (RFC 4314 §4, APPEND).
    const guard = (): void => {
      for (const input of inputs) {
        const rights = 'i' + rightsForFlags(input.keywords ?? input.flags ?? []);
        for (const mailboxId of input.mailboxIds) this.need(account, mailboxId, rights);
      }
      if (options?.replaces) this.need(account, options.replaces.mailboxId, REPLACED_RIGHTS);
    };
    return this.root.run(() => messages.appendMany(this.ctx, account, inputs, options, guard));
  }
  copy(account: string, fromMailboxId: string, uids: S.UidSet, toMailboxId: string, options?: S.WriteOptions): Promise<S.CopyResult> {
    if (!this.other(account)) return this.root.copy(account, fromMailboxId, uids, toMailboxId, options);
    return this.checkedWrite(
      () => (this.need(account, fromMailboxId, 'r'), this.need(account, toMailboxId, 'i')),
      () => messages.copyOrMove(this.ctx, account, fromMailboxId, uids, toMailboxId, false, options),
    );
  }
  move(account: string, fromMailboxId: string, uids: S.UidSet, toMailboxId: string, options?: S.WriteOptions): Promise<S.CopyResult> {
    if (!this.other(account)) return this.root.move(account, fromMailboxId, uids, toMailboxId, options);
    // RFC 6851 §3.3 with RFC 4314: MOVE needs what COPY, STORE +FLAGS \Deleted and EXPUNGE need.
    return this.checkedWrite(
      () => (this.need(account, fromMailboxId, 'rte'), this.need(account, toMailboxId, 'i')),
      () => messages.copyOrMove(this.ctx, account, fromMailboxId, uids, toMailboxId, true, options),
    );
  }
  storeFlags(account: string, mailboxId: string, uids: S.UidSet, request: S.StoreFlagsRequest): Promise<S.StoreFlagsResult> {
    if (!this.other(account)) return this.root.storeFlags(account, mailboxId, uids, request);
    // Replacing the flag list may clear any flag, so it needs every flag right.
    const needed = request.mode === 'set' ? 'swt' : rightsForFlags(request.flags);
    return this.checkedWrite(() => this.need(account, mailboxId, needed), () => messages.storeFlags(this.ctx, account, mailboxId, uids, request));
  }
  expunge(account: string, mailboxId: string, uids?: S.UidSet, options?: S.WriteOptions): Promise<{ uids: number[]; highestModSeq: number }> {
    if (!this.other(account)) return this.root.expunge(account, mailboxId, uids, options);
    return this.checkedWrite(() => this.need(account, mailboxId, 'e'), () => messages.expunge(this.ctx, account, mailboxId, uids, options));
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
    return this.checkedRead(() => this.need(account, mailboxId, 'r'), () => reads.snapshot(this.ctx, account, mailboxId));
  }
  changedSince(account: string, mailboxId: string, sinceModSeq: number, uidRange?: S.UidSet): Promise<S.ChangedSinceResult> {
    if (!this.other(account)) return this.root.changedSince(account, mailboxId, sinceModSeq, uidRange);
    return this.checkedRead(() => this.need(account, mailboxId, 'r'), () => reads.changedSince(this.ctx, account, mailboxId, sinceModSeq, uidRange));
  }
  getMessages(account: string, mailboxId: string, uids: S.UidSet, options?: { parsed?: boolean; envelope?: boolean }): Promise<S.MessageMeta[]> {
    if (!this.other(account)) return this.root.getMessages(account, mailboxId, uids, options);
    return this.checkedRead(
      () => this.need(account, mailboxId, 'r'),
      () => reads.getMessages(this.ctx, account, mailboxId, uids, options?.parsed === true, options?.envelope === true),
    );
  }
  getEmails(account: string, emailIds: string[], options?: { parsed?: boolean }): Promise<S.EmailMeta[]> {
    if (!this.other(account)) return this.root.getEmails(account, emailIds, options);
    return this.checkedRead(
      () => undefined,
      () => reads.getEmails(this.ctx, account, emailIds.filter((id) => this.readable(account, id)), options?.parsed === true),
    ).then((emails) => this.shared.hidePrivateMailboxes(account, emails));
  }
  private readable(owner: string, emailId: string): boolean {
    try {
      acl.requireEmailReadable(this.ctx, this.actor, owner, emailId);
      return true;
    } catch (err) {
      if (err instanceof NoSuchMailboxError) return false;
      throw err;
    }
  }
  readMessage(account: string, emailId: string, range?: S.ByteRange): Promise<Buffer | null> {
    if (!this.other(account)) return this.root.readMessage(account, emailId, range);
    // The bytes are read from a file after the check; checking again before handing them out means
    // a revocation committed meanwhile still refuses them.
    return this.root.run(async () => {
      if (!this.readable(account, emailId)) return null;
      const bytes = await reads.readMessage(this.ctx, account, emailId, range);
      return this.readable(account, emailId) ? bytes : null;
    });
  }
  openMessage(account: string, emailId: string, range?: S.ByteRange): Promise<S.ByteSource | null> {
    if (!this.other(account)) return this.root.openMessage(account, emailId, range);
    return this.root.run(async () => {
      if (!this.readable(account, emailId)) return null;
      const source = await reads.openMessage(this.ctx, account, emailId, range);
      return this.readable(account, emailId) ? source : null;
    });
  }
  getThreads(account: string, threadIds: string[]): Promise<S.ThreadInfo[]> {
    return this.other(account) ? this.shared.getThreads(account, threadIds) : this.root.getThreads(account, threadIds);
  }
  searchMailbox(account: string, mailboxId: string, request: S.MailboxSearchRequest): Promise<S.MailboxSearchResult> {
    if (!this.other(account)) return this.root.searchMailbox(account, mailboxId, request);
    // The full-text part runs in a worker between the checks; the result is handed out only if
    // the right still holds afterwards.
    return this.root.run(async () => {
      this.need(account, mailboxId, 'r');
      const result = await this.root.searchMailbox(account, mailboxId, request);
      this.need(account, mailboxId, 'r');
      return result;
    });
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
    return this.root.run(() => (this.own(account, 'quota'), this.root.getQuota(account)));
  }
  setQuota(account: string, limits: S.QuotaLevel | null): Promise<void> {
    return this.root.run(() => (this.own(account, 'quota'), this.root.setQuota(account, limits)));
  }
  uploadBlob(account: string, bytes: Buffer | S.SpooledMessage, type: string): Promise<S.UploadedBlob> {
    return this.root.run(() => (this.own(account, 'uploads'), this.root.uploadBlob(account, bytes, type)));
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
    return this.root.run(() => (this.own(account, 'settings'), this.root.getSetting(account, key)));
  }
  setSetting(account: string, key: string, value: S.SettingInput, options?: S.WriteOptions & { ifInState?: string }): Promise<string> {
    return this.root.run(() => (this.own(account, 'settings'), this.root.setSetting(account, key, value, options)));
  }

  // ---- rights ---------------------------------------------------------------------------------

  setRights(owner: string, mailboxId: string, identifier: string, rights: string, options?: S.AclWriteOptions): Promise<void> {
    if (!this.other(owner)) return this.root.setRights(owner, mailboxId, identifier, rights, options);
    return this.checkedWrite(() => this.need(owner, mailboxId, 'a'), () => acl.setRights(this.ctx, owner, mailboxId, identifier, rights, { ...options, changedBy: this.actor.user }));
  }
  deleteRights(owner: string, mailboxId: string, identifier: string, options?: S.AclWriteOptions): Promise<boolean> {
    if (!this.other(owner)) return this.root.deleteRights(owner, mailboxId, identifier, options);
    return this.checkedWrite(() => this.need(owner, mailboxId, 'a'), () => acl.deleteRights(this.ctx, owner, mailboxId, identifier, { ...options, changedBy: this.actor.user }));
  }
  listRights(owner: string, mailboxId: string): Promise<S.AclEntry[]> {
    if (!this.other(owner)) return this.root.listRights(owner, mailboxId);
    return this.checkedRead(() => this.need(owner, mailboxId, 'a'), () => acl.listRights(this.ctx, owner, mailboxId));
  }
  // Share notifications are the recipient's own.
  shareNotifications(user: string): Promise<{ state: string; list: S.ShareNotification[] }> {
    return this.root.run(() => (this.own(user, 'share notifications'), this.root.shareNotifications(user)));
  }
  shareNotificationChanges(user: string, sinceState: string, maxChanges?: number): Promise<S.ShareNotificationChanges> {
    return this.root.run(() => (this.own(user, 'share notifications'), this.root.shareNotificationChanges(user, sinceState, maxChanges)));
  }
  destroyShareNotifications(user: string, ids: readonly string[]): Promise<S.ShareNotificationDestroyResult> {
    return this.root.run(() => (this.own(user, 'share notifications'), this.root.destroyShareNotifications(user, ids)));
  }
  grantDelegation(owner: string, delegate: string): Promise<void> {
    return this.root.run(() => (this.own(owner, 'delegation'), this.root.grantDelegation(owner, delegate)));
  }
  revokeDelegation(owner: string, delegate: string): Promise<boolean> {
    return this.root.run(() => (this.own(owner, 'delegation'), this.root.revokeDelegation(owner, delegate)));
  }
  listDelegates(owner: string): Promise<string[]> {
    return this.root.run(() => (this.own(owner, 'delegation'), this.root.listDelegates(owner)));
  }

  getQuotaLimits(account: string): Promise<S.QuotaLimitSources> {
    return this.root.run(() => (this.own(account, 'quota'), this.root.getQuotaLimits(account)));
  }
  // Sieve scripts are the account's own: a delegate acting as another user never reaches them here.
  async listSieveScripts(account: string): Promise<S.SieveScriptInfo[]> {
    this.own(account, 'Sieve scripts');
    return this.root.listSieveScripts(account);
  }
  async getSieveScript(account: string, name: string): Promise<S.SieveScript | null> {
    this.own(account, 'Sieve scripts');
    return this.root.getSieveScript(account, name);
  }
  async getSieveScriptById(account: string, id: string): Promise<S.SieveScript | null> {
    this.own(account, 'Sieve scripts');
    return this.root.getSieveScriptById(account, id);
  }
  async getActiveSieveScript(account: string): Promise<S.SieveScript | null> {
    this.own(account, 'Sieve scripts');
    return this.root.getActiveSieveScript(account);
  }
  async putSieveScript(account: string, name: string, content: string, options?: S.SieveWriteOptions): Promise<S.SieveScriptInfo> {
    this.own(account, 'Sieve scripts');
    return this.root.putSieveScript(account, name, content, options);
  }
  async renameSieveScript(account: string, oldName: string, newName: string, options?: S.SieveWriteOptions): Promise<S.SieveScriptInfo> {
    this.own(account, 'Sieve scripts');
    return this.root.renameSieveScript(account, oldName, newName, options);
  }
  async deleteSieveScript(account: string, name: string, options?: S.SieveWriteOptions): Promise<void> {
    this.own(account, 'Sieve scripts');
    return this.root.deleteSieveScript(account, name, options);
  }
  async setActiveSieveScript(account: string, name: string | null, options?: S.SieveWriteOptions): Promise<void> {
    this.own(account, 'Sieve scripts');
    return this.root.setActiveSieveScript(account, name, options);
  }
  async sieveScriptState(account: string): Promise<string> {
    this.own(account, 'Sieve scripts');
    return this.root.sieveScriptState(account);
  }
  async sieveScriptChanges(account: string, sinceState: string, maxChanges?: number): Promise<S.SieveScriptChanges> {
    this.own(account, 'Sieve scripts');
    return this.root.sieveScriptChanges(account, sinceState, maxChanges);
  }

  // Operations not tied to an account, and close(): ActingViewBase.

  // ---- annotations (RFC 5464) ---------------------------------------------------------------------

  getMetadata(account: string, mailboxId: string | null, names: readonly string[], depth: S.MetadataDepth): Promise<S.MetadataEntry[]> {
    if (!this.other(account)) return this.root.getMetadata(account, mailboxId, names, depth);
    // Another account's server entries are nobody else's business; /private ones are the actor's own.
    if (mailboxId === null) return Promise.reject(new ForbiddenError('server annotations of another account'));
    return this.checkedRead(
      () => this.need(account, mailboxId, rightsForMetadata()),
      () => metadata.getMetadata(this.ctx, account, mailboxId, names, depth, this.actor.user),
    );
  }
  setMetadata(account: string, mailboxId: string | null, changes: readonly S.MetadataChange[], limits: S.MetadataLimits, options?: S.MetadataWriteOptions): Promise<void> {
    if (!this.other(account)) return this.root.setMetadata(account, mailboxId, changes, limits, options);
    if (mailboxId === null) return Promise.reject(new ForbiddenError('server annotations of another account'));
    return this.checkedWrite(
      () => this.need(account, mailboxId, rightsForMetadata(changes)),
      () => metadata.setMetadata(this.ctx, account, mailboxId, changes, limits, { ...options, user: this.actor.user }),
    );
  }
}
