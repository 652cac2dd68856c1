// The state of one IMAP session: notauth → auth → selected → logout, who is logged in, the selected
// mailbox and what the client ENABLEd, plus the hooks into session control and the event bus that
// keep it current. Socket I/O is the connection's (./connection.ts), reading and running commands the
// dispatcher's (./dispatch.ts); command handlers receive this object.
import { newSessionId } from '../net/index.js';
import type { ConnectionAuthContext, Principal } from '../auth/types.js';
import type { SessionHandle } from '../core/sessions.js';
import type { ImapServerConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { flat, type Wire } from './proto/serialize.js';
import { capabilityList } from './capabilities.js';
import { appendLimit } from './limits.js';
import type { Actor, MailStore } from '../store/types.js';
import type { SelectedView } from './selected.js';
import type { ImapDeps, SessionState } from './types.js';
import type { SearchContext } from './search/context.js';
import type { ImapConnection } from './connection.js';
import { refreshSelected } from './refresh.js';
import { authenticatedLimits } from './limits.js';
import { appendLiteralSinks } from './literal-spool.js';
import type { SpoolDir } from '../store/index.js';
import type { NotifyWatcher } from './notify/watcher.js';
import { publicAccountFor } from './mailbox-name.js';

export interface SessionOptions {
  config: ImapServerConfig;
  deps: ImapDeps;
  connection: ImapConnection;
  logger: Logger;
  /** The listener's spool directory: APPEND literals are staged there as they arrive. */
  spool: SpoolDir;
  /** The session's id (log lines' `session`, store event origin); default: a new one. */
  id?: string;
}

export class ImapSession {
  /** Log correlation id and the origin of the store changes it makes (so it skips their echoes). */
  readonly id: string;
  state: SessionState = 'notauth';
  principal?: Principal;
  /** Store account id (= the logged-in user); set once authenticated. */
  account?: string;
  /**
   * Who acts on the store: the logged-in user and its groups ("$group" ACL entries), re-read before
   * every command (refreshActor); set once authenticated.
   */
  actor?: Actor;
  /**
   * The domain's public account whose mailboxes form the Shared namespace (mailbox-name.ts), when it
   * exists at login and is not the user's own.
   */
  publicAccount?: string;
  selected?: SelectedView;
  /** ENABLEd extensions (upper-case). */
  readonly enabled = new Set<string>();
  /** SEARCHRES saved result (UIDs). */
  savedSearch: number[] = [];
  /** CONTEXT=SEARCH/SORT searches kept up to date (RFC 5267). */
  searchContexts: SearchContext[] = [];
  /** The NOTIFY registration (RFC 5465) in force, if any. */
  notify?: NotifyWatcher;
  readonly logger: Logger;
  readonly config: ImapServerConfig;
  readonly deps: ImapDeps;
  readonly connection: ImapConnection;
  readonly spool: SpoolDir;

  private stopping = false;
  private unwatch?: () => void;
  /** Registration with session control, from login until the connection closes. */
  private admission?: SessionHandle;
  private mailboxDirty = false;
  /** A command is running: its own output must not be interleaved with notifications. */
  private commandRunning = false;
  /** Notifications being written between commands (see kickNotifications). */
  private backgroundFlush?: Promise<void>;
  /** The store as the logged-in user may use it (rights checked for shared mailboxes). */
  private userStore?: MailStore;

  constructor(o: SessionOptions) {
    this.id = o.id ?? newSessionId();
    this.config = o.config;
    this.deps = o.deps;
    this.connection = o.connection;
    this.logger = o.logger;
    this.spool = o.spool;
    this.connection.onClose(() => {
      this.unwatch?.();
      this.notify?.stop();
      this.admission?.unregister();
    });
  }

  get secure(): boolean {
    return this.connection.secure;
  }

  get isClosed(): boolean {
    return this.connection.isClosed;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  authContext(): ConnectionAuthContext {
    const localPort = this.connection.localPort;
    return {
      protocol: 'imap',
      auth: this.config.auth,
      secure: this.secure,
      peer: this.connection.remoteAddress,
      ...(localPort !== undefined ? { localPort } : {}),
      session: this.id,
    };
  }

  capabilities(): string[] {
    const ctx = this.authContext();
    return capabilityList({
      state: this.state,
      secure: this.secure,
      tlsAvailable: this.connection.tlsAvailable,
      mechanisms: this.deps.auth.advertisedMechanisms(ctx),
      passwordLoginAllowed: this.deps.auth.passwordLoginAllowed(ctx),
      appendLimit: appendLimit(this.config),
    });
  }

  /**
   * Turns CONDSTORE on for the session (ENABLE or a CONDSTORE-enabling command). With a mailbox
   * selected, the client learns its HIGHESTMODSEQ now (RFC 7162 §3.1).
   */
  enableCondstore(): void {
    if (this.enabled.has('CONDSTORE')) return;
    this.enabled.add('CONDSTORE');
    if (this.selected) this.untagged(`OK [HIGHESTMODSEQ ${this.selected.syncedModseq}] Highest`);
  }

  /** IMAP4rev2 enabled (RFC 9051): no \Recent, no RECENT/UNSEEN responses, SEARCH answers ESEARCH. */
  get rev2(): boolean {
    return this.enabled.has('IMAP4REV2');
  }

  get utf8(): boolean {
    return this.enabled.has('UTF8=ACCEPT') || this.enabled.has('IMAP4REV2');
  }

  // ---- output -------------------------------------------------------------------------------

  write(data: Wire | Wire[]): void {
    this.connection.write(data);
  }

  /** `* <parts>\r\n` */
  untagged(...parts: Array<Wire | Wire[]>): void {
    this.write(['* ', ...flat(parts), '\r\n']);
  }

  destroy(): void {
    this.connection.destroy();
  }

  // ---- selected mailbox -----------------------------------------------------------------------

  /** After login, the rights-checked view of the store (MailStore.actingAs) for the session's user. */
  get store(): MailStore {
    return this.userStore ?? this.deps.store;
  }

  /** Starts watching the selected mailbox so IDLE wakes when something changes. */
  watchSelected(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    if (!this.account || !this.selected) return;
    this.mailboxDirty = false;
    const view = this.selected;
    const stopMailbox = this.deps.events.onMailbox(view.owner, view.mailboxId, (event) => {
      if (event.type === 'rights-changed' && view.owner !== this.account) {
        void this.recheckRights(view);
        return;
      }
      this.selectedChanged();
    });
    // Events may have been missed (another node's, while the bus was reconnecting): the refresh
    // re-reads the mailbox from the store, and sends nothing when nothing changed.
    const stopResync = this.deps.events.onResync((event) => {
      if (event.account !== undefined && event.account !== view.owner) return;
      if (view.owner !== this.account) void this.recheckRights(view);
      this.selectedChanged();
    });
    this.unwatch = () => {
      stopMailbox();
      stopResync();
    };
  }

  /** Something changed in the selected mailbox (a method, not a closure per watch: issue #18). */
  private selectedChanged(): void {
    this.mailboxDirty = true;
    // With NOTIFY (selected …) the client hears of it between commands too, not only in IDLE.
    if (this.notify?.spec.selected) this.kickNotifications();
    else this.connection.interrupt();
  }

  /**
   * The rights on the selected shared mailbox changed. Losing "r" ends the session at once with
   * BYE, as Dovecot ends a session whose selected mailbox disappears ("Selected mailbox was
   * deleted, have to disconnect"): IMAP has no unsolicited way to deselect, and an untagged NO
   * would leave the client believing the mailbox is still open. Other losses are enforced by the
   * store on the next write (NO [NOPERM]).
   */
  private async recheckRights(view: SelectedView): Promise<void> {
    let rights: string;
    try {
      rights = await this.deps.store.myRights(this.actor!, view.owner, view.mailboxId);
    } catch (err) {
      this.logger.warn({ err }, 'rights check after a rights change failed');
      return;
    }
    if (this.selected !== view || this.isClosed) return;
    view.rights = rights;
    if (!rights.includes('r')) {
      this.logger.info({ user: this.account, owner: view.owner }, 'imap session ended: access to the selected mailbox was revoked');
      this.write('* BYE Access to the selected mailbox was revoked\r\n');
      this.destroy();
    }
  }

  unselect(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    this.selected = undefined;
    this.savedSearch = [];
    this.searchContexts = [];
    if (this.state === 'selected') this.state = 'auth';
  }

  /** Sends untagged updates for the selected mailbox (./refresh.ts). */
  async refresh(allowExpunge: boolean): Promise<void> {
    await refreshSelected(this, allowExpunge);
  }

  /** The store is about to be asked for changes: what the watcher reported so far will be in the answer. */
  clearPendingChanges(): void {
    this.mailboxDirty = false;
  }

  get hasPendingChanges(): boolean {
    return this.mailboxDirty;
  }

  /**
   * IDLE's wait: the next raw line, `undefined` when the selected mailbox changed, a NOTIFY
   * notification is due (or shutdown began) first, null when the connection closed.
   */
  readLineOrWake(): Promise<string | null | undefined> {
    return this.connection.readLineOr(() => this.mailboxDirty || this.stopping || (this.notify?.hasPending ?? false));
  }

  // ---- NOTIFY (RFC 5465) --------------------------------------------------------------------

  /** Replaces the NOTIFY registration (undefined: NOTIFY NONE). */
  setNotify(watcher: NotifyWatcher | undefined): void {
    this.notify?.stop();
    this.notify = watcher;
  }

  /**
   * Something is due for the client under NOTIFY. IDLE wakes and writes it; between commands it is
   * written now (the server may send notifications at any time, RFC 5465 §1); while a command runs,
   * it goes out before that command's tagged reply. A client that does not read its output gets
   * nothing more written: its notifications wait, and past the limit overflow (§5.8).
   */
  kickNotifications(): void {
    if (this.connection.interrupt()) return;
    if (this.commandRunning || this.backgroundFlush || this.isClosed || this.connection.outputBacklogged) return;
    this.backgroundFlush = this.writeNotifications()
      .catch((err: unknown) => this.logger.warn({ err }, 'imap NOTIFY notifications failed'))
      .finally(() => {
        this.backgroundFlush = undefined;
        this.connection.flush();
        if (!this.isClosed && (this.notify?.hasPending || this.selectedNotifyDue)) this.kickNotifications();
      });
  }

  private get selectedNotifyDue(): boolean {
    return this.mailboxDirty && this.selected !== undefined && this.notify?.spec.selected !== undefined;
  }

  /** Writes due notifications: the selected mailbox's updates (NOTIFY selected), then the others. */
  private async writeNotifications(): Promise<void> {
    const sel = this.notify?.spec.selected;
    // selected-delayed (§6.1.2): expunges wait for a command after which they may be sent.
    if (sel && this.selectedNotifyDue) await this.refresh(!sel.delayed);
    await this.notify?.flush();
  }

  /** The dispatcher is about to run a command: notifications being written finish first. */
  async beginCommand(): Promise<void> {
    while (this.backgroundFlush) await this.backgroundFlush;
    this.commandRunning = true;
    await this.refreshActor();
  }

  /**
   * Re-reads the user's groups: a user taken out of a group loses the group's rights at its next
   * command, as after a revoked right — the store checks every access with the new actor, and a
   * selected shared mailbox no longer readable ends the session (recheckRights). When the
   * repository cannot answer, the groups last read stay (logins fail meanwhile anyway).
   */
  private async refreshActor(): Promise<void> {
    const account = this.account;
    if (account === undefined || this.deps.groups === undefined) return;
    let groups: string[];
    try {
      groups = await this.deps.groups.groupsOf(account);
    } catch (err) {
      this.logger.warn({ err }, 'could not re-read the groups of the user; the last known ones stay');
      return;
    }
    const before = this.actor?.groups ?? [];
    if (groups.length === before.length && groups.every((g, i) => g === before[i])) return;
    this.setActor({ user: account, groups });
    this.notify?.groupsChanged();
    const view = this.selected;
    if (view && view.owner !== account) await this.recheckRights(view);
  }

  private setActor(actor: Actor): void {
    this.actor = actor;
    this.userStore = this.deps.store.actingAs(actor);
  }

  /** The command's tagged reply has been written. */
  endCommand(): void {
    this.commandRunning = false;
    if (this.notify?.hasPending || this.selectedNotifyDue) this.kickNotifications();
  }

  // ---- authentication -------------------------------------------------------------------------

  /**
   * Registers the login with session control, which ends the connection (`terminate`) on revocation,
   * re-introspection saying inactive, or token expiry under the listener's policy. False = the token
   * or its OP session is revoked: the login must be refused as invalid.
   */
  async admit(principal: Principal): Promise<boolean> {
    const handle = await this.deps.sessions.admit({
      protocol: 'imap',
      principal,
      peer: this.connection.remoteAddress,
      auth: this.config.auth,
      tokenExpiry: this.config.tokenExpiry,
      terminate: (reason) => this.terminate(reason),
    });
    if (!handle) return false;
    if (this.isClosed) {
      // The client went away while the check ran; the close hooks have already run.
      handle.unregister();
      return false;
    }
    this.admission = handle;
    return true;
  }

  /** Undoes admit() when the login cannot complete after all (mail store unavailable). */
  withdrawAdmission(): void {
    this.admission?.unregister();
    this.admission = undefined;
  }

  async loggedIn(principal: Principal): Promise<void> {
    this.principal = principal;
    await this.deps.store.ensureAccount(principal.user);
    this.account = principal.user;
    const pub = publicAccountFor(principal.user);
    if (pub !== principal.user && (await this.deps.store.getAccount(pub))) this.publicAccount = pub;
    this.setActor({ user: principal.user, groups: await this.loginGroups(principal.user) });
    this.state = 'auth';
    this.connection.setLimits(authenticatedLimits(this.config));
    this.connection.setLiteralSink(appendLiteralSinks(this.spool));
  }

  /** The groups at login; none when the repository cannot answer (the next command asks again). */
  private async loginGroups(user: string): Promise<string[]> {
    try {
      return (await this.deps.groups?.groupsOf(user)) ?? [];
    } catch (err) {
      this.logger.warn({ err }, 'could not read the groups of the user at login');
      return [];
    }
  }

  /** Ends the connection at session control's request, wherever the session is (IDLE included). */
  private terminate(reason: string): void {
    this.logger.info({ user: this.principal?.user, reason }, 'imap session ended by session control');
    this.write(`* BYE ${reason.replace(/[\r\n]+/g, ' ')}\r\n`);
    this.destroy();
  }

  /** Graceful shutdown: BYE now if idle between commands, else after the running command. */
  shutdown(): void {
    this.stopping = true;
    if (this.connection.interrupt()) return;
    if (this.connection.awaitingCommand) {
      this.write('* BYE Server shutting down\r\n');
      this.destroy();
    }
  }
}
