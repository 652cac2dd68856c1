// One IMAP connection: reads framed commands, runs them one at a time in order, and writes replies.
// State machine: notauth → auth → selected → logout. Untagged updates for the selected mailbox are
// computed at command boundaries (and pushed during IDLE), never an EXPUNGE after FETCH/STORE/SEARCH
// by sequence number (RFC 3501 §7.4.1).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { ConnectionAuthContext, Principal } from '../auth/types.js';
import type { SessionHandle } from '../core/sessions.js';
import type { ImapServerConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { CommandFramer, type FrameEvent } from './proto/framer.js';
import { tokenize, type Token } from './proto/tokens.js';
import { Args } from './proto/args.js';
import { ImapError } from './proto/errors.js';
import { toBuffer, flat, type Wire } from './proto/serialize.js';
import { capabilityList } from './capabilities.js';
import { COMMANDS } from './commands/index.js';
import { isStoreError, type MailStore } from '../store/types.js';
import { SelectedView } from './selected.js';
import type { ImapDeps, SessionState } from './types.js';
import { formatFlags } from './flags.js';
import { formatSequenceSet } from './proto/sequence.js';
import { contextDeltas, updateLine, type ContextDelta, type SearchContext } from './search/context.js';

export interface SessionOptions {
  config: ImapServerConfig;
  deps: ImapDeps;
  socket: Socket;
  secure: boolean;
  /** Upgrades the socket for STARTTLS; undefined when TLS is not configured. */
  startTls?: (socket: Socket) => Promise<TLSSocket>;
  logger: Logger;
  onClose: (s: ImapSession) => void;
}

/** Pause reading when this much unprocessed input is buffered (pipelining floods). */
const HIGH_WATER = 1 << 20;

export class ImapSession {
  readonly id = randomUUID();
  state: SessionState = 'notauth';
  secure: boolean;
  principal?: Principal;
  /** Store account id (= the logged-in user); set once authenticated. */
  account?: string;
  selected?: SelectedView;
  /** ENABLEd extensions (upper-case). */
  readonly enabled = new Set<string>();
  /** SEARCHRES saved result (UIDs). */
  savedSearch: number[] = [];
  /** CONTEXT=SEARCH/SORT searches kept up to date (RFC 5267). */
  searchContexts: SearchContext[] = [];
  readonly logger: Logger;
  readonly config: ImapServerConfig;
  readonly deps: ImapDeps;

  private socket: Socket;
  private framer: CommandFramer;
  private waiter?: () => void;
  private closed = false;
  private stopping = false;
  private readonly startTlsFn?: (socket: Socket) => Promise<TLSSocket>;
  private readonly onCloseCb: (s: ImapSession) => void;
  private unwatch?: () => void;
  /** Registration with session control, from login until the connection closes. */
  private admission?: SessionHandle;
  /** Set while IDLE waits, to push updates as they happen. */
  idleWake?: () => void;
  private mailboxDirty = false;

  constructor(o: SessionOptions) {
    this.config = o.config;
    this.deps = o.deps;
    this.socket = o.socket;
    this.secure = o.secure;
    this.startTlsFn = o.startTls;
    this.logger = o.logger;
    this.onCloseCb = o.onClose;
    this.framer = new CommandFramer({ maxLineLength: o.config.maxLineLength, maxLiteralSize: o.config.maxLiteralSize });
    this.attach(this.socket);
  }

  get tlsAvailable(): boolean {
    return this.startTlsFn !== undefined;
  }

  authContext(): ConnectionAuthContext {
    return {
      protocol: 'imap',
      auth: this.config.auth,
      secure: this.secure,
      peer: this.socket.remoteAddress ?? 'unknown',
      ...(this.socket.localPort !== undefined ? { localPort: this.socket.localPort } : {}),
    };
  }

  capabilities(): string[] {
    const ctx = this.authContext();
    return capabilityList({
      state: this.state,
      secure: this.secure,
      tlsAvailable: this.tlsAvailable,
      mechanisms: this.deps.auth.advertisedMechanisms(ctx),
      passwordLoginAllowed: this.deps.auth.passwordLoginAllowed(ctx),
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

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.framer.push(chunk);
      if (this.framer.pendingBytes > HIGH_WATER) socket.pause();
      this.wake();
    });
    socket.on('close', () => this.finish());
    socket.on('error', (err) => {
      this.logger.debug({ err: err.message }, 'imap socket error');
      this.finish();
    });
    socket.setTimeout(this.config.timeout * 1000);
    socket.on('timeout', () => {
      this.write('* BYE Autologout; idle for too long\r\n');
      this.destroy();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.idleWake?.();
    this.unwatch?.();
    this.admission?.unregister();
    this.onCloseCb(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  destroy(): void {
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.finish();
  }

  // ---- output -------------------------------------------------------------------------------

  write(data: Wire | Wire[]): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(Array.isArray(data) ? toBuffer(data) : typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /** Waits while the socket's send buffer is full, so large FETCH responses do not pile up in memory. */
  async drain(): Promise<void> {
    const sock = this.socket;
    if (this.closed || !sock.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        sock.off('drain', done);
        sock.off('close', done);
        resolve();
      };
      sock.on('drain', done);
      sock.on('close', done);
    });
  }

  /** `* <parts>\r\n` */
  untagged(...parts: Array<Wire | Wire[]>): void {
    this.write(['* ', ...flat(parts), '\r\n']);
  }

  // ---- input --------------------------------------------------------------------------------

  private async nextEvent(mode: 'command' | 'line'): Promise<FrameEvent | null> {
    for (;;) {
      const ev = this.framer.next(mode);
      if (ev) return ev;
      if (this.closed) return null;
      if (this.socket.isPaused()) this.socket.resume();
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /**
   * Next raw line (SASL responses): null when the connection closed, undefined when the line was
   * over the length limit (and has been discarded).
   */
  async readLine(): Promise<string | null | undefined> {
    const ev = await this.nextEvent('line');
    if (!ev) return null;
    if (ev.type === 'line') return ev.line.toString('utf8');
    return undefined;
  }

  /** IDLE may last longer than the normal inactivity timeout (RFC 2177 suggests 30 minutes). */
  setIdling(idling: boolean): void {
    const seconds = idling ? Math.max(this.config.timeout, 1800) : this.config.timeout;
    this.socket.setTimeout(seconds * 1000);
  }

  /**
   * IDLE's wait: the next raw line, `undefined` when the selected mailbox changed (or shutdown
   * began) first, null when the connection closed.
   */
  async readLineOrWake(): Promise<string | null | undefined> {
    for (;;) {
      const ev = this.framer.next('line');
      if (ev?.type === 'line') return ev.line.toString('utf8');
      if (ev?.type === 'reject') return '';
      if (this.closed) return null;
      if (this.mailboxDirty || this.stopping) return undefined;
      if (this.socket.isPaused()) this.socket.resume();
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        this.idleWake = resolve;
      });
      this.idleWake = undefined;
    }
  }

  hasBufferedInput(): boolean {
    return this.framer.pendingBytes > 0;
  }

  async run(): Promise<void> {
    this.write(`* OK [CAPABILITY ${this.capabilities().join(' ')}] ${this.config.helloName} IMAP4rev1 server ready\r\n`);
    while (!this.closed && this.state !== 'logout') {
      const ev = await this.nextEvent('command');
      if (!ev) break;
      if (ev.type === 'continue') {
        this.write('+ Ready for literal data\r\n');
        continue;
      }
      if (ev.type === 'reject') {
        this.handleReject(ev);
        continue;
      }
      if (ev.type === 'line') continue;
      try {
        await this.handle(tokenizeSafe(ev.segments, this));
      } catch (err) {
        this.logger.error({ err }, 'imap command crashed');
        this.write('* BYE Internal server error\r\n');
        this.destroy();
        return;
      }
      if (this.stopping && !this.closed) {
        this.write('* BYE Server shutting down\r\n');
        this.destroy();
      }
    }
    if (this.state === 'logout') this.destroy();
  }

  private handleReject(ev: Extract<FrameEvent, { type: 'reject' }>): void {
    const tag = ev.tag;
    if (ev.reason === 'literal-too-big') {
      const text = `Literal too large (limit ${this.config.maxLiteralSize} bytes)`;
      this.write(ev.command === 'APPEND' ? `${tag} NO [TOOBIG] ${text}\r\n` : `${tag} BAD [TOOBIG] ${text}\r\n`);
      if (ev.fatal) {
        this.write('* BYE Non-synchronising literal over the limit\r\n');
        this.destroy();
      }
      return;
    }
    this.write(`${tag} BAD [TOOBIG] Command line too long (limit ${this.config.maxLineLength} bytes)\r\n`);
  }

  private async handle(tokens: Token[] | ImapError): Promise<void> {
    if (Array.isArray(tokens) && tokens.length === 0) return;
    if (tokens instanceof ImapError) {
      this.write(`* BAD ${tokens.message}\r\n`);
      return;
    }
    const first = tokens[0];
    if (!first || first.type !== 'atom' || !/^[\x21-\x7e]+$/.test(first.value) || /[(){%*"\\+]/.test(first.value)) {
      this.write('* BAD Invalid tag\r\n');
      return;
    }
    const tag = first.value;
    const second = tokens[1];
    if (!second || second.type !== 'atom') {
      this.write(`${tag} BAD Missing command\r\n`);
      return;
    }
    let name = second.value.toUpperCase();
    let uid = false;
    let rest = tokens.slice(2);
    if (name === 'UID') {
      const third = tokens[2];
      if (!third || third.type !== 'atom') {
        this.write(`${tag} BAD Missing UID command\r\n`);
        return;
      }
      name = third.value.toUpperCase();
      uid = true;
      rest = tokens.slice(3);
      if (!['FETCH', 'STORE', 'SEARCH', 'COPY', 'MOVE', 'EXPUNGE', 'SORT', 'THREAD'].includes(name)) {
        this.write(`${tag} BAD Unknown UID command\r\n`);
        return;
      }
    }
    const spec = COMMANDS[name];
    if (!spec) {
      this.write(`${tag} BAD Unknown command\r\n`);
      return;
    }
    if (!spec.states.includes(this.state)) {
      const why = this.state === 'notauth' ? 'Not authenticated' : this.state === 'auth' ? 'No mailbox selected' : 'Not allowed in this state';
      this.write(`${tag} BAD ${why}\r\n`);
      return;
    }
    const wasSelected = this.selected;
    try {
      const ok = await spec.run(this, new Args(rest), { tag, name, uid });
      if (this.closed || ok?.replied) return;
      if (this.selected && this.selected === wasSelected && this.state === 'selected') {
        await this.refresh(spec.expungeAfter || uid);
      }
      const code = ok?.code ? `[${ok.code}] ` : '';
      this.write(`${tag} OK ${code}${ok?.text ?? `${uid ? 'UID ' : ''}${name} completed`}\r\n`);
    } catch (err) {
      if (this.closed) return;
      let e = toImapError(err);
      if (!e) {
        // An unexpected failure (a bug, a database error): answer this command, keep the session.
        this.logger.error({ err, command: name }, 'imap command failed');
        e = new ImapError('NO', 'Internal server error', 'SERVERBUG');
      }
      if (this.selected && this.selected === wasSelected && this.state === 'selected' && e.status === 'NO') {
        await this.refresh(spec.expungeAfter || uid).catch(() => undefined);
      }
      const code = e.code ? `[${e.code}] ` : '';
      this.write(`${tag} ${e.status} ${code}${e.message}\r\n`);
    }
  }

  // ---- selected mailbox -----------------------------------------------------------------------

  get store(): MailStore {
    return this.deps.store;
  }

  /** Starts watching the selected mailbox so IDLE wakes when something changes. */
  watchSelected(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    if (!this.account || !this.selected) return;
    this.mailboxDirty = false;
    this.unwatch = this.deps.events.onMailbox(this.account, this.selected.mailboxId, () => {
      this.mailboxDirty = true;
      this.idleWake?.();
    });
  }

  unselect(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    this.selected = undefined;
    this.savedSearch = [];
    this.searchContexts = [];
    if (this.state === 'selected') this.state = 'auth';
  }

  /** Sends untagged updates for the selected mailbox. */
  async refresh(allowExpunge: boolean): Promise<void> {
    const view = this.selected;
    const account = this.account;
    if (!view || !account) return;
    let changes;
    try {
      changes = await this.store.changedSince(account, view.mailboxId, view.syncedModseq);
    } catch (err) {
      if (isStoreError(err) && err.code === 'noSuchMailbox') {
        // The mailbox was deleted or renamed away by someone else: nothing sensible is left to show.
        this.write('* BYE Selected mailbox was deleted\r\n');
        this.destroy();
        return;
      }
      throw err;
    }
    this.mailboxDirty = false;
    const condstore = this.enabled.has('CONDSTORE') || this.enabled.has('QRESYNC');
    // Search contexts first: REMOVEFROM must name messages by their numbers before any EXPUNGE.
    let deltas: ContextDelta[] = [];
    if (this.searchContexts.length > 0 && (changes.changed.length > 0 || changes.vanished.length > 0 || view.ghosts.size > 0)) {
      const keep = new Set<number>();
      if (!allowExpunge) {
        for (const u of view.ghosts) keep.add(u);
        for (const u of changes.vanished) keep.add(u);
      }
      deltas = await contextDeltas(this, this.searchContexts, keep);
      for (const d of deltas) {
        const line = updateLine(d.ctx, 'REMOVEFROM', d.ctx.results, d.removed, (u) => view.seqOf(u));
        if (line) this.untagged(line);
      }
    }
    const update = view.apply(changes, allowExpunge, condstore);
    if (update.expunged.length > 0) {
      if (this.enabled.has('QRESYNC')) {
        this.untagged(`VANISHED ${formatSequenceSet(update.expunged.map((e) => e.uid).sort((a, b) => a - b))}`);
      } else {
        for (const e of update.expunged) this.untagged(`${e.seq} EXPUNGE`);
      }
    }
    for (const c of update.changed) {
      const extra: string[] = [];
      if (condstore) extra.push(`UID ${c.state.uid}`, `MODSEQ (${c.state.modseq})`);
      const isRecent = view.recent.has(c.state.uid);
      this.untagged(`${c.seq} FETCH (FLAGS ${formatFlags(c.state.flags, isRecent)}${extra.length ? ' ' + extra.join(' ') : ''})`);
    }
    if (update.exists !== undefined) {
      if (!view.readOnly && !this.rev2) {
        // The new messages are \Recent here if no other session has claimed them first.
        const claimed = await this.store.claimRecent(account, view.mailboxId, update.newUids[update.newUids.length - 1]!).catch((err: unknown) => {
          if (isStoreError(err) && err.code === 'noSuchMailbox') return []; // deleted meanwhile: the next refresh says BYE
          throw err;
        });
        for (const u of claimed) if (view.seqOf(u) > 0) view.recent.add(u);
      }
      this.untagged(`${update.exists} EXISTS`);
      if (!this.rev2) this.untagged(`${view.recent.size} RECENT`);
    }
    for (const d of deltas) {
      d.ctx.results = d.fresh.filter((u) => view.seqOf(u) > 0);
      const added = d.added.filter((u) => view.seqOf(u) > 0);
      const line = updateLine(d.ctx, 'ADDTO', d.ctx.results, added, (u) => view.seqOf(u));
      if (line) this.untagged(line);
    }
  }

  get hasPendingChanges(): boolean {
    return this.mailboxDirty;
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
      peer: this.socket.remoteAddress ?? 'unknown',
      auth: this.config.auth,
      tokenExpiry: this.config.tokenExpiry,
      terminate: (reason) => this.terminate(reason),
    });
    if (!handle) return false;
    if (this.closed) {
      // The client went away while the check ran; finish() has already run.
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
    await this.store.ensureAccount(principal.user);
    this.account = principal.user;
    this.state = 'auth';
  }

  /** Ends the connection at session control's request, wherever the session is (IDLE included). */
  private terminate(reason: string): void {
    this.logger.info({ user: this.principal?.user, reason }, 'imap session ended by session control');
    this.write(`* BYE ${reason.replace(/[\r\n]+/g, ' ')}\r\n`);
    this.destroy();
  }

  /** STARTTLS: drops anything the client pipelined after the command, then upgrades the socket. */
  async upgradeTls(): Promise<void> {
    if (!this.startTlsFn) throw new Error('TLS not configured');
    this.framer = new CommandFramer({ maxLineLength: this.config.maxLineLength, maxLiteralSize: this.config.maxLiteralSize });
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    raw.removeAllListeners('timeout');
    raw.setTimeout(0);
    const tls = await this.startTlsFn(raw);
    this.socket = tls;
    this.secure = true;
    this.attach(tls);
  }

  /** Graceful shutdown: BYE now if idle between commands, else after the running command. */
  shutdown(): void {
    this.stopping = true;
    if (this.idleWake) {
      this.idleWake();
      return;
    }
    if (!this.framer.midCommand && this.waiter) {
      this.write('* BYE Server shutting down\r\n');
      this.destroy();
    }
  }

  get isStopping(): boolean {
    return this.stopping;
  }
}

function tokenizeSafe(segments: Parameters<typeof tokenize>[0], s: ImapSession): Token[] | ImapError {
  try {
    return tokenize(segments, true);
  } catch (err) {
    if (err instanceof ImapError) {
      // Report with the tag when the start of the line is readable.
      const firstText = segments[0]?.kind === 'text' ? segments[0].data.toString('latin1') : '';
      const tag = firstText.split(' ')[0] ?? '*';
      if (/^[\x21-\x7e]+$/.test(tag) && !/[(){%*"\\+]/.test(tag)) {
        s.write(`${tag} BAD ${err.message}\r\n`);
        return [];
      }
      return err;
    }
    throw err;
  }
}

export function toImapError(err: unknown): ImapError | undefined {
  if (err instanceof ImapError) return err;
  if (!isStoreError(err)) return undefined;
  switch (err.code) {
    case 'noSuchMailbox':
      return new ImapError('NO', 'Mailbox does not exist', 'NONEXISTENT');
    case 'mailboxExists':
      return new ImapError('NO', 'Mailbox already exists', 'ALREADYEXISTS');
    case 'overQuota':
      return new ImapError('NO', 'Quota exceeded', 'OVERQUOTA');
    case 'mailboxHasChildren':
      return new ImapError('NO', 'Mailbox has children', 'HASCHILDREN');
    case 'forbidden':
    case 'invalidName':
    case 'mailboxNotEmpty':
      return new ImapError('NO', err.message, 'CANNOT');
    case 'noSuchEmail':
      return new ImapError('NO', 'Message does not exist', 'NONEXISTENT');
    case 'invalidArgument':
      return new ImapError('BAD', err.message);
    case 'unavailable':
      return new ImapError('NO', 'Mail store temporarily unavailable', 'UNAVAILABLE');
    default:
      return new ImapError('NO', err.message, 'SERVERBUG');
  }
}
