// MailStore over SQLite + blob files. The methods delegate to one module per concern; this class
// only owns the lifecycle (open, close) and keeps the public surface in one place.
import type { AclWriteOptions } from '../api/acl.js';
import type { ShareNotification, ShareNotificationChanges, ShareNotificationDestroyResult } from '../api/share-notifications.js';
import type {
  AclEntry,
  Actor,
  SharedMailbox,
  SearchCriteria,
  Account,
  AccountStates,
  AppendInput,
  AppendOptions,
  AppendResult,
  ByteRange,
  ByteSource,
  ChangedSinceResult,
  ChangesResult,
  ClaimRequest,
  CopyResult,
  CreateMailboxSpec,
  DeleteMailboxOptions,
  DeliveryAttempt,
  DestroyResult,
  EmailMeta,
  EmailQueryRequest,
  EmailQueryResult,
  EmailUpdate,
  EmailUpdateResult,
  EnqueueInput,
  JsonValue,
  Mailbox,
  MailboxRole,
  MailboxSearchRequest,
  MailboxSearchResult,
  MailboxSnapshot,
  MailboxUpdate,
  MailStore,
  MessageMeta,
  OutboundItem,
  OutboundStatus,
  PushSubscriptionChanges,
  PushSubscriptionRecord,
  QuotaLevel,
  QuotaLimitSources,
  QuotaUsage,
  Revocation,
  RevocationKind,
  RevocationLookup,
  SettingValue,
  MetadataChange,
  MetadataDepth,
  MetadataEntry,
  MetadataLimits,
  MetadataWriteOptions,
  SieveScript,
  SieveScriptChanges,
  SieveScriptInfo,
  SieveWriteOptions,
  SettingInput,
  SpooledMessage,
  StoreFlagsRequest,
  StoreFlagsResult,
  ThreadInfo,
  UidSet,
  UploadedBlob,
  WriteOptions,
} from '../types.js';
import { StoreUnavailableError } from '../errors.js';
import type { Ctx } from './context.js';
import * as mailboxes from './mailboxes.js';
import * as messages from './messages.js';
import * as reads from './reads.js';
import * as extras from './extras.js';
import * as revocations from './revocations.js';
import * as pushSubscriptions from './push-subscriptions.js';
import * as sieveScripts from './sieve-scripts.js';
import * as acl from './acl.js';
import * as shareNotices from './share-notifications.js';
import { ActingMailStore } from './acting-store.js';
import * as metadata from './metadata.js';
import { ftsQueries, ftsQueryKey, type FtsMatches, type Scope } from './search-sql.js';

export class SqliteMailStore implements MailStore {
  private closed = false;
  private inflight = 0;
  private idle: (() => void) | null = null;

  constructor(private readonly ctx: Ctx) {}

  /**
   * Runs an operation, refusing new ones after close() and letting close() wait for running ones.
   * Public for the acting view (./acting-store.ts), which runs its checked operations here.
   */
  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('store is closed');
    if (this.ctx.wal.failure) throw this.ctx.wal.failure;
    this.inflight++;
    try {
      return await fn();
    } finally {
      this.inflight--;
      if (this.inflight === 0 && this.idle) this.idle();
    }
  }

  /** Resolves the criteria's full-text expressions in the index worker (off the main thread). */
  private async ftsMatches(criteria: SearchCriteria, scope: Scope): Promise<FtsMatches> {
    const queries = ftsQueries(criteria, scope);
    const results = await this.ctx.fts.match(queries);
    return new Map(queries.map((q, i) => [ftsQueryKey(q), results[i]!]));
  }

  ensureAccount(account: string): Promise<Account> {
    return this.run(() => mailboxes.ensureAccount(this.ctx, account));
  }
  getAccount(account: string): Promise<Account | null> {
    return this.run(() => mailboxes.getAccountSync(this.ctx, account));
  }
  deleteAccount(account: string): Promise<void> {
    return this.run(() => mailboxes.deleteAccountSync(this.ctx, account));
  }

  listMailboxes(account: string): Promise<Mailbox[]> {
    return this.run(() => mailboxes.listMailboxesSync(this.ctx, account));
  }
  getMailbox(account: string, mailboxId: string): Promise<Mailbox | null> {
    return this.run(() => mailboxes.getMailboxSync(this.ctx, account, mailboxId));
  }
  findMailboxByPath(account: string, path: string): Promise<Mailbox | null> {
    return this.run(() => mailboxes.findMailboxSync(this.ctx, account, { path }));
  }
  findMailboxByRole(account: string, role: MailboxRole): Promise<Mailbox | null> {
    return this.run(() => mailboxes.findMailboxSync(this.ctx, account, { role }));
  }
  createMailbox(account: string, spec: CreateMailboxSpec, options?: WriteOptions): Promise<Mailbox> {
    return this.run(() => mailboxes.createMailbox(this.ctx, account, spec, options));
  }
  renameMailbox(account: string, mailboxId: string, newPath: string, options?: WriteOptions): Promise<Mailbox> {
    return this.run(() => mailboxes.renameMailbox(this.ctx, account, mailboxId, newPath, options));
  }
  updateMailbox(account: string, mailboxId: string, update: MailboxUpdate, options?: WriteOptions): Promise<Mailbox> {
    return this.run(() => mailboxes.updateMailbox(this.ctx, account, mailboxId, update, options));
  }
  deleteMailbox(account: string, mailboxId: string, options: DeleteMailboxOptions): Promise<void> {
    return this.run(() => mailboxes.deleteMailbox(this.ctx, account, mailboxId, options));
  }
  subscribePath(account: string, path: string, options?: WriteOptions): Promise<void> {
    return this.run(() => mailboxes.subscribePath(this.ctx, account, path, options));
  }
  unsubscribePath(account: string, path: string, options?: WriteOptions): Promise<boolean> {
    return this.run(() => mailboxes.unsubscribePath(this.ctx, account, path, options));
  }
  listOrphanSubscriptions(account: string): Promise<string[]> {
    return this.run(() => mailboxes.listOrphanSubscriptionsSync(this.ctx, account));
  }
  claimRecent(account: string, mailboxId: string, upToUid?: number): Promise<number[]> {
    return this.run(() => mailboxes.claimRecentSync(this.ctx, account, mailboxId, upToUid));
  }
  peekRecent(account: string, mailboxId: string, upToUid?: number): Promise<number[]> {
    return this.run(() => mailboxes.peekRecentSync(this.ctx, account, mailboxId, upToUid));
  }

  async append(account: string, input: AppendInput, options?: AppendOptions): Promise<AppendResult> {
    const [result] = await this.appendMany(account, [input], options);
    return result!;
  }
  appendMany(account: string, inputs: AppendInput[], options?: AppendOptions): Promise<AppendResult[]> {
    return this.run(() => messages.appendMany(this.ctx, account, inputs, options));
  }
  copy(account: string, fromMailboxId: string, uids: UidSet, toMailboxId: string, options?: WriteOptions): Promise<CopyResult> {
    return this.run(() => messages.copyOrMove(this.ctx, account, fromMailboxId, uids, toMailboxId, false, options));
  }
  move(account: string, fromMailboxId: string, uids: UidSet, toMailboxId: string, options?: WriteOptions): Promise<CopyResult> {
    return this.run(() => messages.copyOrMove(this.ctx, account, fromMailboxId, uids, toMailboxId, true, options));
  }
  storeFlags(account: string, mailboxId: string, uids: UidSet, request: StoreFlagsRequest): Promise<StoreFlagsResult> {
    return this.run(() => messages.storeFlags(this.ctx, account, mailboxId, uids, request));
  }
  expunge(account: string, mailboxId: string, uids?: UidSet, options?: WriteOptions): Promise<{ uids: number[]; highestModSeq: number }> {
    return this.run(() => messages.expunge(this.ctx, account, mailboxId, uids, options));
  }
  updateEmails(account: string, updates: EmailUpdate[], options?: WriteOptions & { ifInState?: string }): Promise<EmailUpdateResult> {
    return this.run(() => messages.updateEmails(this.ctx, account, updates, options));
  }
  destroyEmails(account: string, emailIds: string[], options?: WriteOptions & { ifInState?: string }): Promise<DestroyResult> {
    return this.run(() => messages.destroyEmails(this.ctx, account, emailIds, options));
  }

  snapshot(account: string, mailboxId: string): Promise<MailboxSnapshot> {
    return this.run(() => reads.snapshot(this.ctx, account, mailboxId));
  }
  changedSince(account: string, mailboxId: string, sinceModSeq: number, uidRange?: UidSet): Promise<ChangedSinceResult> {
    return this.run(() => reads.changedSince(this.ctx, account, mailboxId, sinceModSeq, uidRange));
  }
  getMessages(account: string, mailboxId: string, uids: UidSet, options?: { parsed?: boolean; envelope?: boolean }): Promise<MessageMeta[]> {
    return this.run(() => reads.getMessages(this.ctx, account, mailboxId, uids, options?.parsed === true, options?.envelope === true));
  }
  getEmails(account: string, emailIds: string[], options?: { parsed?: boolean }): Promise<EmailMeta[]> {
    return this.run(() => reads.getEmails(this.ctx, account, emailIds, options?.parsed === true));
  }
  readMessage(account: string, emailId: string, range?: ByteRange): Promise<Buffer | null> {
    return this.run(() => reads.readMessage(this.ctx, account, emailId, range));
  }
  openMessage(account: string, emailId: string, range?: ByteRange): Promise<ByteSource | null> {
    return this.run(() => reads.openMessage(this.ctx, account, emailId, range));
  }
  getThreads(account: string, threadIds: string[]): Promise<ThreadInfo[]> {
    return this.run(() => reads.getThreads(this.ctx, account, threadIds));
  }
  searchMailbox(account: string, mailboxId: string, request: MailboxSearchRequest): Promise<MailboxSearchResult> {
    return this.run(async () => reads.searchMailbox(this.ctx, account, mailboxId, request, await this.ftsMatches(request.criteria, 'mailbox')));
  }
  queryEmails(account: string, request: EmailQueryRequest): Promise<EmailQueryResult> {
    return this.run(async () => reads.queryEmails(this.ctx, account, request, await this.ftsMatches(request.filter, 'account')));
  }
  getStates(account: string): Promise<AccountStates> {
    return this.run(() => reads.getStates(this.ctx, account));
  }
  changes(account: string, type: 'Mailbox' | 'Email' | 'Thread', sinceState: string, maxChanges?: number): Promise<ChangesResult> {
    return this.run(() => reads.changes(this.ctx, account, type, sinceState, maxChanges));
  }

  getQuota(account: string): Promise<QuotaUsage> {
    return this.run(() => extras.getQuota(this.ctx, account));
  }
  getQuotaLimits(account: string): Promise<QuotaLimitSources> {
    return this.run(() => extras.getQuotaLimits(this.ctx, account));
  }
  setQuota(account: string, limits: QuotaLevel | null): Promise<void> {
    return this.run(() => extras.setQuota(this.ctx, account, limits));
  }
  getScopeQuota(domain: string | null): Promise<QuotaLimitSources> {
    return this.run(() => extras.getScopeQuota(this.ctx, domain));
  }
  setScopeQuota(domain: string | null, limits: QuotaLevel): Promise<void> {
    return this.run(() => extras.setScopeQuota(this.ctx, domain, limits));
  }
  uploadBlob(account: string, bytes: Buffer | SpooledMessage, type: string): Promise<UploadedBlob> {
    return this.run(() => extras.uploadBlob(this.ctx, account, bytes, type));
  }
  readBlob(account: string, blobId: string, range?: ByteRange): Promise<Buffer | null> {
    return this.run(() => extras.readBlob(this.ctx, account, blobId, range));
  }
  openBlob(account: string, blobId: string, range?: ByteRange): Promise<ByteSource | null> {
    return this.run(() => extras.openBlob(this.ctx, account, blobId, range));
  }
  blobSize(account: string, blobId: string): Promise<number | null> {
    return this.run(() => extras.blobSize(this.ctx, account, blobId));
  }
  emailsWithBlob(account: string, blobId: string): Promise<string[]> {
    return this.run(() => extras.emailsWithBlob(this.ctx, account, blobId));
  }
  collectGarbage(now: Date = new Date()): Promise<number> {
    return this.run(() => extras.collectGarbage(this.ctx, now));
  }
  getSetting(account: string, key: string): Promise<SettingValue> {
    return this.run(() => extras.getSetting(this.ctx, account, key));
  }
  setSetting(account: string, key: string, value: SettingInput, options?: WriteOptions & { ifInState?: string }): Promise<string> {
    return this.run(() => extras.setSetting(this.ctx, account, key, value, options));
  }

  enqueueOutbound(input: EnqueueInput): Promise<OutboundItem> {
    return this.run(() => extras.enqueueOutbound(this.ctx, input));
  }
  claimOutbound(request: ClaimRequest): Promise<OutboundItem[]> {
    return this.run(() => extras.claimOutbound(this.ctx, request));
  }
  renewOutboundLease(id: string, owner: string, leaseMs: number, now?: Date): Promise<boolean> {
    return this.run(() => extras.renewOutboundLease(this.ctx, id, owner, leaseMs, now));
  }
  recordDeliveryAttempt(id: string, owner: string, attempt: DeliveryAttempt): Promise<OutboundItem> {
    return this.run(() => extras.recordDeliveryAttempt(this.ctx, id, owner, attempt));
  }
  getOutbound(id: string): Promise<OutboundItem | null> {
    return this.run(() => extras.getOutbound(this.ctx, id));
  }
  listOutbound(filter?: { account?: string; status?: OutboundStatus }): Promise<OutboundItem[]> {
    return this.run(() => extras.listOutbound(this.ctx, filter));
  }
  openOutbound(id: string): Promise<ByteSource | null> {
    return this.run(() => extras.openOutbound(this.ctx, id));
  }
  removeOutbound(id: string, now: Date = new Date()): Promise<boolean> {
    return this.run(() => extras.removeOutbound(this.ctx, id, now));
  }
  rescheduleOutbound(at: Date): Promise<number> {
    return this.run(() => extras.rescheduleOutbound(this.ctx, at));
  }

  addRevocation(revocation: Revocation): Promise<void> {
    return this.run(() => revocations.addRevocation(this.ctx, revocation));
  }
  revokedAt(kind: RevocationKind, value: string, issuers: readonly string[], now: Date): Promise<Date | undefined> {
    return this.run(() => revocations.revokedAt(this.ctx, kind, value, issuers, now));
  }
  revokedAtEach(lookups: readonly RevocationLookup[], now: Date): Promise<Array<Date | undefined>> {
    return this.run(() => revocations.revokedAtEach(this.ctx, lookups, now));
  }
  rememberLogoutJti(issuer: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
    return this.run(() => revocations.rememberLogoutJti(this.ctx, issuer, jti, expiresAt, now));
  }
  purgeExpiredRevocations(now: Date = new Date()): Promise<number> {
    return this.run(() => revocations.purgeExpiredRevocations(this.ctx, now));
  }

  listPushSubscriptions(user?: string): Promise<PushSubscriptionRecord[]> {
    return this.run(() => pushSubscriptions.listPushSubscriptions(this.ctx, user));
  }
  addPushSubscription(record: PushSubscriptionRecord): Promise<void> {
    return this.run(() => pushSubscriptions.addPushSubscription(this.ctx, record));
  }
  updatePushSubscription(id: string, changes: PushSubscriptionChanges): Promise<boolean> {
    return this.run(() => pushSubscriptions.updatePushSubscription(this.ctx, id, changes));
  }
  deletePushSubscriptions(ids: readonly string[]): Promise<number> {
    return this.run(() => pushSubscriptions.deletePushSubscriptions(this.ctx, ids));
  }

  listSieveScripts(account: string): Promise<SieveScriptInfo[]> {
    return this.run(() => sieveScripts.listSieveScripts(this.ctx, account));
  }
  getSieveScript(account: string, name: string): Promise<SieveScript | null> {
    return this.run(() => sieveScripts.getSieveScript(this.ctx, account, name));
  }
  getSieveScriptById(account: string, id: string): Promise<SieveScript | null> {
    return this.run(() => sieveScripts.getSieveScriptById(this.ctx, account, id));
  }
  getActiveSieveScript(account: string): Promise<SieveScript | null> {
    return this.run(() => sieveScripts.getActiveSieveScript(this.ctx, account));
  }
  putSieveScript(account: string, name: string, content: string, options?: SieveWriteOptions): Promise<SieveScriptInfo> {
    return this.run(() => sieveScripts.putSieveScript(this.ctx, account, name, content, options));
  }
  renameSieveScript(account: string, oldName: string, newName: string, options?: SieveWriteOptions): Promise<SieveScriptInfo> {
    return this.run(() => sieveScripts.renameSieveScript(this.ctx, account, oldName, newName, options));
  }
  deleteSieveScript(account: string, name: string, options?: SieveWriteOptions): Promise<void> {
    return this.run(() => sieveScripts.deleteSieveScript(this.ctx, account, name, options));
  }
  setActiveSieveScript(account: string, name: string | null, options?: SieveWriteOptions): Promise<void> {
    return this.run(() => sieveScripts.setActiveSieveScript(this.ctx, account, name, options));
  }
  sieveScriptState(account: string): Promise<string> {
    return this.run(() => sieveScripts.sieveScriptState(this.ctx, account));
  }
  sieveScriptChanges(account: string, sinceState: string, maxChanges?: number): Promise<SieveScriptChanges> {
    return this.run(() => sieveScripts.sieveScriptChanges(this.ctx, account, sinceState, maxChanges));
  }
  shareNotifications(user: string): Promise<{ state: string; list: ShareNotification[] }> {
    return this.run(() => shareNotices.shareNotifications(this.ctx, user));
  }
  shareNotificationChanges(user: string, sinceState: string, maxChanges?: number): Promise<ShareNotificationChanges> {
    return this.run(() => shareNotices.shareNotificationChanges(this.ctx, user, sinceState, maxChanges));
  }
  destroyShareNotifications(user: string, ids: readonly string[]): Promise<ShareNotificationDestroyResult> {
    return this.run(() => shareNotices.destroyShareNotifications(this.ctx, user, ids));
  }
  setRights(owner: string, mailboxId: string, identifier: string, rights: string, options?: AclWriteOptions): Promise<void> {
    return this.run(() => acl.setRights(this.ctx, owner, mailboxId, identifier, rights, options));
  }
  deleteRights(owner: string, mailboxId: string, identifier: string, options?: AclWriteOptions): Promise<boolean> {
    return this.run(() => acl.deleteRights(this.ctx, owner, mailboxId, identifier, options));
  }
  listRights(owner: string, mailboxId: string): Promise<AclEntry[]> {
    return this.run(() => acl.listRights(this.ctx, owner, mailboxId));
  }
  myRights(actor: Actor, owner: string, mailboxId: string): Promise<string> {
    return this.run(() => acl.rightsOfSync(this.ctx, actor, owner, mailboxId));
  }
  sharedWith(actor: Actor): Promise<SharedMailbox[]> {
    return this.run(() => acl.sharedWith(this.ctx, actor));
  }
  grantDelegation(owner: string, delegate: string): Promise<void> {
    return this.run(() => acl.grantDelegation(this.ctx, owner, delegate));
  }
  revokeDelegation(owner: string, delegate: string): Promise<boolean> {
    return this.run(() => acl.revokeDelegation(this.ctx, owner, delegate));
  }
  mayActAs(delegate: string, owner: string): Promise<boolean> {
    return this.run(() => acl.mayActAs(this.ctx, delegate, owner));
  }
  listDelegates(owner: string): Promise<string[]> {
    return this.run(() => acl.listDelegates(this.ctx, owner));
  }
  actingAs(actor: Actor): MailStore {
    return new ActingMailStore(this.ctx, actor, this);
  }

  getMetadata(account: string, mailboxId: string | null, names: readonly string[], depth: MetadataDepth, user?: string): Promise<MetadataEntry[]> {
    return this.run(() => metadata.getMetadata(this.ctx, account, mailboxId, names, depth, user));
  }
  setMetadata(account: string, mailboxId: string | null, changes: readonly MetadataChange[], limits: MetadataLimits, options?: MetadataWriteOptions): Promise<void> {
    return this.run(() => metadata.setMetadata(this.ctx, account, mailboxId, changes, limits, options));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    try {
      this.ctx.db.pragma('optimize');
    } catch {
      // statistics are an optimisation; closing must not fail for them
    }
    await this.ctx.wal.close();
    await this.ctx.fts.close();
    this.ctx.db.close();
  }
}
