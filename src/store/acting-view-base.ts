// What every engine's rights-checked view (AclStore.actingAs) passes straight to the store: the
// operations not tied to a mailbox account (the outbound queue, revocations, push subscriptions,
// domain and server quotas, garbage collection) and the rights questions asked about an explicit
// actor. The engines' views (sqlite/acting-store.ts, postgres/acting-store.ts) extend it with the
// account-bound operations.
import type * as S from './types.js';

export abstract class ActingViewBase {
  protected abstract readonly root: S.MailStore;

  myRights(actor: S.Actor, owner: string, mailboxId: string): Promise<string> {
    return this.root.myRights(actor, owner, mailboxId);
  }
  sharedWith(actor: S.Actor): Promise<S.SharedMailbox[]> {
    return this.root.sharedWith(actor);
  }
  mayActAs(delegate: string, owner: string): Promise<boolean> {
    return this.root.mayActAs(delegate, owner);
  }
  actingAs(actor: S.Actor): S.MailStore {
    return this.root.actingAs(actor);
  }
  collectGarbage(now?: Date): Promise<number> {
    return this.root.collectGarbage(now);
  }
  enqueueOutbound(input: S.EnqueueInput): Promise<S.OutboundItem> {
    return this.root.enqueueOutbound(input);
  }
  claimOutbound(request: S.ClaimRequest): Promise<S.OutboundItem[]> {
    return this.root.claimOutbound(request);
  }
  renewOutboundLease(id: string, owner: string, leaseMs: number, now?: Date): Promise<boolean> {
    return this.root.renewOutboundLease(id, owner, leaseMs, now);
  }
  recordDeliveryAttempt(id: string, owner: string, attempt: S.DeliveryAttempt): Promise<S.OutboundItem> {
    return this.root.recordDeliveryAttempt(id, owner, attempt);
  }
  getOutbound(id: string): Promise<S.OutboundItem | null> {
    return this.root.getOutbound(id);
  }
  listOutbound(filter?: { account?: string; status?: S.OutboundStatus }): Promise<S.OutboundItem[]> {
    return this.root.listOutbound(filter);
  }
  openOutbound(id: string): Promise<S.ByteSource | null> {
    return this.root.openOutbound(id);
  }
  removeOutbound(id: string, now?: Date): Promise<boolean> {
    return this.root.removeOutbound(id, now);
  }
  rescheduleOutbound(at: Date): Promise<number> {
    return this.root.rescheduleOutbound(at);
  }
  getScopeQuota(domain: string | null): Promise<S.QuotaLimitSources> {
    return this.root.getScopeQuota(domain);
  }
  setScopeQuota(domain: string | null, limits: S.QuotaLevel): Promise<void> {
    return this.root.setScopeQuota(domain, limits);
  }
  addRevocation(revocation: S.Revocation): Promise<void> {
    return this.root.addRevocation(revocation);
  }
  revokedAt(kind: S.RevocationKind, value: string, issuers: readonly string[], now: Date): Promise<Date | undefined> {
    return this.root.revokedAt(kind, value, issuers, now);
  }
  revokedAtEach(lookups: readonly S.RevocationLookup[], now: Date): Promise<Array<Date | undefined>> {
    return this.root.revokedAtEach(lookups, now);
  }
  rememberLogoutJti(issuer: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
    return this.root.rememberLogoutJti(issuer, jti, expiresAt, now);
  }
  purgeExpiredRevocations(now?: Date): Promise<number> {
    return this.root.purgeExpiredRevocations(now);
  }
  listPushSubscriptions(user?: string): Promise<S.PushSubscriptionRecord[]> {
    return this.root.listPushSubscriptions(user);
  }
  addPushSubscription(record: S.PushSubscriptionRecord): Promise<void> {
    return this.root.addPushSubscription(record);
  }
  updatePushSubscription(id: string, changes: S.PushSubscriptionChanges): Promise<boolean> {
    return this.root.updatePushSubscription(id, changes);
  }
  deletePushSubscriptions(ids: readonly string[]): Promise<number> {
    return this.root.deletePushSubscriptions(ids);
  }

  /** The view does not own the store: the store is closed by whoever opened it. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
