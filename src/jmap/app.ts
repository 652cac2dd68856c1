// The JMAP application behind the transports: accounts, the method registry, blobs and push
// subscriptions over the shared store and event bus.
import type { Principal } from '../auth/types.js';
import type { GroupDirectory } from '../auth/users/types.js';
import type { Logger } from '../log/logger.js';
import type { EventBus } from '../events/types.js';
import type { Actor, MailStore, SpooledMessage } from '../store/types.js';
import type { DeliveryService } from '../core/delivery.js';
import type { CoreLimits } from './capabilities.js';
import { processRequest, type DispatchOptions } from './core/dispatch.js';
import type { JmapRequest, JmapResponse, JsonObject, MethodDefinition } from './core/types.js';
import { AccountAccessError, BlobNotFoundError, type DownloadedBlob, type JmapBackend, type StateChange, type UploadResult } from './backend.js';
import { buildSession, sessionState, supportedCapabilities, type SessionOptions } from './session.js';
import { openAnyBlob } from './mail/blobs.js';
import { jmapAccount, jmapAccountId, sharedAccounts, type SharedJmapAccount } from './account-id.js';
import { SharedAccountsWatch, sharedCurrentStates } from './push/shared-watch.js';
import { coreMethods } from './methods/core.js';
import { mailboxMethods } from './methods/mailbox.js';
import { emailReadMethods } from './methods/email-get.js';
import { emailQueryMethods } from './methods/email-query.js';
import { emailWriteMethods } from './methods/email-set.js';
import { emailCopyMethods } from './methods/email-copy.js';
import { identityMethods } from './methods/identity.js';
import { vacationMethods } from './methods/vacation.js';
import { quotaMethods } from './methods/quota.js';
import { submissionMethods } from './methods/submission.js';
import type { MailMethodDeps, PrincipalDirectory } from './methods/deps.js';
import { principalMethods } from './methods/principal.js';
import { shareNotificationMethods } from './methods/share-notification.js';
import { SETTING_IDENTITY, SETTING_SUBMISSION, SETTING_VACATION } from './methods/settings.js';
import { withArguments } from './methods/schemas.js';
import { pushSubscriptionMethods } from './methods/push-subscription.js';
import { appPasswordMethods, type AppPasswordManager } from './methods/app-password.js';
import { DEFAULT_WEBPUSH_SETTINGS, WebPushService, type WebPushSettings, type WebPushTiming } from './push/webpush/service.js';
import type { PushCredentialBinding } from '../store/types.js';
import { blobMethods } from './methods/blob.js';
import { DEFAULT_SIEVE_LIMITS, sieveScriptMethods } from './methods/sieve-script.js';
import type { SieveScriptLimits } from '../store/types.js';
import type { SpoolDir } from '../store/index.js';

export interface JmapAppOptions {
  store: MailStore;
  events: EventBus;
  logger: Logger;
  limits: CoreLimits;
  delivery?: DeliveryService;
  hostname: string;
  /** PushSubscription delivery settings (default: DEFAULT_WEBPUSH_SETTINGS). */
  webPush?: WebPushSettings;
  /** Session control's check, asked before each push to a subscription bound to an OP session. */
  isRevoked?: (principal: Principal) => Promise<boolean>;
  /** Tests shorten the push delays. */
  webPushTiming?: Partial<WebPushTiming>;
  /** The upload spool (Blob/upload builds blobs there too). */
  spool: SpoolDir;
  /** What SieveScript/set lets an account store (default: DEFAULT_SIEVE_LIMITS). */
  sieve?: SieveScriptLimits;
  /** The user's app passwords (AppPassword/get, /set); the capability is offered only with it. */
  appPasswords?: AppPasswordManager;
  /** The users listed as principals (RFC 9670); the principals capability is offered only with it. */
  users?: PrincipalDirectory;
  /** The users repository's groups ("$group" ACLs), read on every request; absent: users are in no group. */
  groups?: GroupDirectory;
}

/** Store setting keys published as 'Setting:<key>' that are JMAP data types of their own. */
const SETTING_TYPES = [SETTING_IDENTITY, SETTING_VACATION, SETTING_SUBMISSION];

export class JmapApp implements JmapBackend {
  private readonly dispatch: DispatchOptions;
  private readonly sessionOptions: SessionOptions;
  private readonly ensured = new Set<string>();
  /** Session states depend on the user, the accounts shared with them and the (fixed) options. */
  private readonly states = new Map<string, string>();
  /** PushSubscription delivery; started and stopped with the server (start(), stop()). */
  readonly webPush: WebPushService;

  constructor(private readonly options: JmapAppOptions) {
    const isRevoked = options.isRevoked;
    this.webPush = new WebPushService({
      store: options.store,
      // Each change is pushed by the node where it happened (the others' are theirs to push).
      watch: (user, onChange) => this.watchUser(user, null, onChange, true),
      announce: (change) => void options.events.publish({ type: 'push-subscription-changed', ...change }),
      onAnnounced: (handler) => options.events.onPushSubscription(handler),
      onResync: (handler) => options.events.onResync(() => handler()),
      onRevocation: (handler) => options.events.onRevocation(handler),
      ...(isRevoked ? { isRevoked: (user: string, b: PushCredentialBinding) => isRevoked(bindingPrincipal(user, b)) } : {}),
      logger: options.logger,
      settings: options.webPush ?? DEFAULT_WEBPUSH_SETTINGS,
      ...(options.webPushTiming ? { timing: options.webPushTiming } : {}),
    });
    const deps: MailMethodDeps = {
      store: options.store,
      limits: options.limits,
      logger: options.logger,
      hostname: options.hostname,
      spool: options.spool,
      ...(options.delivery ? { delivery: options.delivery } : {}),
      ...(options.users ? { users: options.users } : {}),
    };
    const methods: Array<[string, MethodDefinition]> = [
      ...coreMethods(),
      ...mailboxMethods(deps),
      ...emailReadMethods(deps),
      ...emailQueryMethods(deps),
      ...emailWriteMethods(deps),
      ...emailCopyMethods(deps),
      ...identityMethods(deps),
      ...vacationMethods(deps),
      ...quotaMethods(deps),
      ...blobMethods(deps),
      ...sieveScriptMethods(deps, options.sieve ?? DEFAULT_SIEVE_LIMITS),
      ...(options.delivery ? submissionMethods(deps) : []),
      ...pushSubscriptionMethods(this.webPush, deps),
      ...(options.appPasswords ? appPasswordMethods(options.appPasswords, deps) : []),
      ...(options.users ? [...principalMethods(deps), ...shareNotificationMethods(deps)] : []),
    ];
    this.dispatch = {
      registry: new Map(methods.map(withArguments)),
      capabilities: supportedCapabilities(options.delivery !== undefined, options.appPasswords !== undefined, options.users !== undefined),
      maxCallsInRequest: options.limits.maxCallsInRequest,
      logger: options.logger,
    };
    this.sessionOptions = {
      limits: options.limits,
      submission: options.delivery !== undefined,
      maxSizeAttachmentsPerEmail: options.limits.maxSizeUpload,
      sieve: options.sieve ?? DEFAULT_SIEVE_LIMITS,
      ...(options.appPasswords ? { appPasswords: true } : {}),
      ...(options.users ? { principals: true } : {}),
    };
  }

  /** The account of a user exists from their first JMAP request on (as it would after first delivery). */
  private async ensureAccount(user: string): Promise<void> {
    if (this.ensured.has(user)) return;
    await this.options.store.ensureAccount(user);
    this.ensured.add(user);
  }

  /** Names of the methods the dispatcher offers (with delivery: EmailSubmission too). */
  methodNames(): string[] {
    return [...this.dispatch.registry.keys()];
  }

  /**
   * The user with the groups the repository puts it in now: every request and push reload asks
   * again, so a member taken out of a group loses the group's shares at once.
   */
  private async actorOf(user: string): Promise<Actor> {
    try {
      return { user, groups: (await this.options.groups?.groupsOf(user)) ?? [] };
    } catch (err) {
      // The repository cannot answer (LDAP down): the request goes on with the user's own rights
      // only, never with groups it may have left.
      this.options.logger.warn({ err: String(err) }, 'JMAP: could not read the groups of the user; group shares left out of this request');
      return { user, groups: [] };
    }
  }

  /** Other users' accounts with mailboxes shared with the actor, read from the store on every request. */
  private async sharedWith(actor: Actor): Promise<Map<string, SharedJmapAccount>> {
    return sharedAccounts(await this.options.store.sharedWith(actor));
  }

  async session(principal: Principal, baseUrl: string): Promise<JsonObject> {
    await this.ensureAccount(principal.user);
    return buildSession(principal.user, baseUrl, this.sessionOptions, [...(await this.sharedWith(await this.actorOf(principal.user))).values()]);
  }

  async sessionState(principal: Principal): Promise<string> {
    return this.stateOf(principal.user, await this.sharedWith(await this.actorOf(principal.user)));
  }

  private stateOf(user: string, shared: ReadonlyMap<string, SharedJmapAccount>): string {
    const list = [...shared.values()];
    const key = JSON.stringify([user, list]);
    let state = this.states.get(key);
    if (state === undefined) {
      state = sessionState(user, this.sessionOptions, list);
      if (this.states.size > 10_000) this.states.clear();
      this.states.set(key, state);
    }
    return state;
  }

  async api(request: JmapRequest, principal: Principal): Promise<JmapResponse> {
    await this.ensureAccount(principal.user);
    const actor = await this.actorOf(principal.user);
    const shared = await this.sharedWith(actor);
    return processRequest(request, principal, () => this.stateOf(principal.user, shared), this.dispatch, shared, actor);
  }

  /**
   * An upload to the caller's own account, or to an account shared with them where they may insert
   * ("i") into some mailbox (RFC 8620 §6.1: a client uploads to the account it will use the blob in).
   * Either way the blob is kept as the caller's own upload (it expires as any upload and counts
   * against their account, not the owner's), answered under the account it was sent to, and usable
   * there: the owner's account reads it only once an email made of it exists.
   */
  async upload(principal: Principal, accountId: string, type: string, bytes: Buffer | SpooledMessage): Promise<UploadResult> {
    const own = jmapAccount(principal.user);
    if (accountId !== own.id && !(await this.mayInsertInto(principal.user, accountId))) throw new AccountAccessError(accountId);
    await this.ensureAccount(own.name);
    const blob = await this.options.store.uploadBlob(own.name, bytes, type);
    return { accountId, blobId: blob.blobId, type: blob.type, size: blob.size };
  }

  private async mayInsertInto(user: string, accountId: string): Promise<boolean> {
    const shared = await this.options.store.sharedWith({ user });
    return shared.some((s) => jmapAccountId(s.owner) === accountId && s.rights.includes('i'));
  }

  async download(principal: Principal, accountId: string, blobId: string): Promise<DownloadedBlob> {
    const own = jmapAccount(principal.user);
    const actor = await this.actorOf(principal.user);
    const account = accountId === own.id ? own : (await this.sharedWith(actor)).get(accountId);
    if (account === undefined) throw new AccountAccessError(accountId);
    // Through the caller's rights-checked view: a shared account's blob is readable only as part of a readable email.
    const source = await openAnyBlob(this.options.store.actingAs(actor), account.name, blobId, this.options.spool.dir);
    if (source === null) throw new BlobNotFoundError(blobId);
    return { source };
  }

  // StateChange objects are keyed by the account's opaque id, as every other JMAP answer names it.
  subscribe(principal: Principal, types: ReadonlySet<string> | null, onChange: (change: StateChange) => void): () => void {
    const own = this.watchUser(principal.user, types, onChange);
    const shared = new SharedAccountsWatch(principal.user, () => this.actorOf(principal.user), this.options.store, this.options.events, this.options.logger, (accountId, states) => {
      const changed = filterTypes(states, types);
      if (Object.keys(changed).length > 0) onChange({ '@type': 'StateChange', changed: { [accountId]: changed } });
    });
    void shared.refresh();
    // A share notification in the user's own account means their rights somewhere changed.
    const notices = this.options.events.onAccount(principal.user, (event) => {
      if (event.type === 'state-changed' && 'ShareNotification' in event.changed) void shared.refresh();
    });
    return () => {
      own();
      notices();
      shared.close();
    };
  }

  /** With `ownOnly`, only this node's changes, and no re-read on a resync (the node where a change happened saw it). */
  private watchUser(user: string, types: ReadonlySet<string> | null, onChange: (change: StateChange) => void, ownOnly = false): () => void {
    const account = jmapAccount(user);
    const stopEvents = this.options.events.onAccount(account.name, (event) => {
      if (event.type !== 'state-changed' || (ownOnly && event.fromNode !== undefined)) return;
      const changed = filterTypes(event.changed, types);
      if (Object.keys(changed).length > 0) onChange({ '@type': 'StateChange', changed: { [account.id]: changed } });
    });
    if (ownOnly) return stopEvents;
    // State changes may have been missed (another node's, while the bus was reconnecting): push the
    // current states; a client whose states are already these finds nothing new with /changes.
    let stopped = false;
    const stopResync = this.options.events.onResync((event) => {
      if (event.account !== undefined && event.account !== account.name) return;
      this.statesOf(user, types).then(
        (change) => {
          if (!stopped && Object.keys(change.changed[account.id] ?? {}).length > 0) onChange(change);
        },
        (err: unknown) => this.options.logger.warn({ err: String(err) }, 'JMAP push: re-reading states after a resync failed'),
      );
    });
    return () => {
      stopped = true;
      stopEvents();
      stopResync();
    };
  }

  currentStates(principal: Principal, types: ReadonlySet<string> | null): Promise<StateChange> {
    return this.statesOf(principal.user, types);
  }

  private async statesOf(user: string, types: ReadonlySet<string> | null): Promise<StateChange> {
    const account = jmapAccount(user);
    await this.ensureAccount(account.name);
    const store = this.options.store;
    const states: Record<string, string> = { ...(await store.getStates(account.name)) };
    for (const key of SETTING_TYPES) states[`Setting:${key}`] = (await store.getSetting(account.name, key)).state;
    states.SieveScript = await store.sieveScriptState(account.name);
    const changed: StateChange['changed'] = { [account.id]: filterTypes(states, types) };
    for (const [id, shared] of Object.entries(await sharedCurrentStates(store, await this.actorOf(account.name)))) changed[id] = filterTypes(shared, types);
    return { '@type': 'StateChange', changed };
  }
}

/**
 * What session control's isRevoked needs to know of a subscription's credentials: its OP session.
 * No access token is named, so only sid (and jti) revocations apply, as for any session it admits.
 */
function bindingPrincipal(user: string, b: PushCredentialBinding): Principal {
  return { user, mechanism: 'PUSH', ...(b.issuer !== undefined ? { issuer: b.issuer } : {}), ...(b.sid !== undefined ? { sid: b.sid } : {}) };
}

/** Maps store keys to JMAP type names ('Setting:Identity' → 'Identity') and keeps the wanted ones. */
function filterTypes(changed: Record<string, string>, types: ReadonlySet<string> | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, state] of Object.entries(changed)) {
    const name = key.startsWith('Setting:') ? key.slice('Setting:'.length) : key;
    if (key.startsWith('Setting:') && !SETTING_TYPES.includes(name)) continue;
    if (types === null || types.has(name)) out[name] = state;
  }
  return out;
}
