// One session's NOTIFY registration (RFC 5465) for mailboxes other than the selected one: listens to
// the event bus for the user's account and for the owners of mailboxes shared with the user, keeps
// which mailboxes the user can see under which IMAP name, and queues what to tell the client:
// STATUS for message events (coalesced per mailbox), LIST for MailboxName and SubscriptionChange,
// METADATA for MailboxMetadataChange and ServerMetadataChange (RFC 5465 §5.8-5.9, RFC 5464 §4.4.2).
// The session flushes the queue when it may write (./session.ts):
// between commands, during IDLE and before each tagged reply.
import type { AccountEvent, Unsubscribe } from '../../events/types.js';
import { toImapError } from '../error-mapping.js';
import type { Wire } from '../proto/serialize.js';
import { astring, flat } from '../proto/serialize.js';
import { displayName, encodeName, SEPARATOR } from '../mailbox-name.js';
import { statusLine } from '../commands/status.js';
import type { ImapSession } from '../session.js';
import { filterMatches, MESSAGE_EVENTS, METADATA_EVENTS, statusItemsFor, type NotifyEvent, type NotifySpec } from './spec.js';

/**
 * Queued notifications beyond this many make the registration overflow (§5.8): the client is told
 * with `* OK [NOTIFICATIONOVERFLOW]` and must resynchronise; nothing more is queued for it.
 */
export const MAX_PENDING = 1000;

interface VisibleBox {
  owner: string;
  id: string;
  path: string;
  subscribed: boolean;
  /** The user holds "r": message events are reported (§5: a mailbox listed with "l" alone is not read). */
  readable: boolean;
}

const key = (owner: string, id: string): string => `${owner}\u0000${id}`;

export class NotifyWatcher {
  private readonly unsubscribes: Unsubscribe[] = [];
  /** Mailboxes the user may see ("l"), own and shared, by owner + id. */
  private readonly boxes = new Map<string, VisibleBox>();
  /** Subscribed IMAP names, with names no mailbox has (the `subscribed` filter, §6.4). */
  private readonly subscribedNames = new Set<string>();
  /** Mailboxes whose STATUS is due (message events), by owner + id. */
  private readonly statusDue = new Map<string, { owner: string; id: string }>();
  /** Mailboxes whose subscription may have changed (mailbox-updated), and whether to report it. */
  private readonly subscriptionChecks = new Map<string, boolean>();
  /** Owners whose shares to the user may have changed (rights-changed). */
  private readonly sharesDirty = new Set<string>();
  /** LIST responses in the order the events happened. */
  private readonly lines: Wire[][] = [];
  private overflowed = false;
  private stopped = false;

  private constructor(
    private readonly session: ImapSession,
    readonly spec: NotifySpec,
  ) {}

  /** Starts watching for `spec` (NOTIFY SET). Listens first so that nothing after the snapshot is missed. */
  static async start(session: ImapSession, spec: NotifySpec): Promise<NotifyWatcher> {
    const w = new NotifyWatcher(session, spec);
    const selectedMetadata = METADATA_EVENTS.some((e) => spec.selected?.events.has(e) === true);
    if (spec.filters.length === 0 && !selectedMetadata) return w;
    try {
      await w.load();
    } catch (err) {
      w.stop();
      throw err;
    }
    return w;
  }

  private async load(): Promise<void> {
    const session = this.session;
    const user = session.account!;
    this.unsubscribes.push(session.deps.events.onAccount(user, (e) => this.onEvent(e)));
    for (const b of await session.store.listMailboxes(user)) {
      this.boxes.set(key(user, b.id), { owner: user, id: b.id, path: b.path, subscribed: b.subscribed, readable: true });
      if (b.subscribed) this.subscribedNames.add(b.path);
    }
    for (const n of await session.store.listOrphanSubscriptions(user)) this.subscribedNames.add(n);
    const owners = new Set<string>();
    for (const sh of await session.store.sharedWith(session.actor!)) {
      this.boxes.set(key(sh.owner, sh.mailbox.id), { owner: sh.owner, id: sh.mailbox.id, path: sh.mailbox.path, subscribed: false, readable: sh.rights.includes('r') });
      owners.add(sh.owner);
    }
    for (const owner of owners) this.unsubscribes.push(session.deps.events.onAccount(owner, (e) => this.onEvent(e)));
  }

  /**
   * The user's groups changed (session.refreshActor): the shares of every owner already watched are
   * re-read, so a mailbox seen through a group the user left is reported gone (MailboxName).
   */
  groupsChanged(): void {
    const user = this.session.account;
    for (const box of this.boxes.values()) if (box.owner !== user) this.sharesDirty.add(box.owner);
    if (this.sharesDirty.size > 0) this.queued();
  }

  /** NOTIFY NONE, a new NOTIFY SET, overflow or the connection closing. */
  stop(): void {
    this.stopped = true;
    for (const u of this.unsubscribes.splice(0)) u();
    this.clearQueues();
  }

  get hasPending(): boolean {
    return this.overflowed || this.lines.length > 0 || this.statusDue.size > 0 || this.subscriptionChecks.size > 0 || this.sharesDirty.size > 0;
  }

  /** The events wanted for one of the user's visible mailboxes (union over matching filters). */
  private eventsFor(box: VisibleBox): Set<NotifyEvent> {
    const name = this.nameOf(box);
    const own = box.owner === this.session.account;
    const out = new Set<NotifyEvent>();
    for (const f of this.spec.filters) {
      if (filterMatches(f, name, own, this.subscribedNames.has(name))) for (const e of f.events) out.add(e);
    }
    return out;
  }

  private nameOf(box: { owner: string; path: string }): string {
    return displayName(this.session, box.owner, box.path);
  }

  private wants(box: VisibleBox, event: NotifyEvent): boolean {
    return this.eventsFor(box).has(event);
  }

  private isSelected(owner: string, id: string): boolean {
    const v = this.session.selected;
    return v !== undefined && v.owner === owner && v.mailboxId === id;
  }

  // ---- events ---------------------------------------------------------------------------------

  private onEvent(e: AccountEvent): void {
    if (this.stopped || this.overflowed) return;
    // §5: what this session did itself is not reported back to it.
    const own = e.origin !== undefined && e.origin === this.session.id;
    const isOwnAccount = e.account === this.session.account;
    switch (e.type) {
      case 'messages-added':
      case 'messages-expunged':
      case 'flags-changed': {
        const k = key(e.account, e.mailboxId);
        const box = this.boxes.get(k);
        if (!box || !box.readable || own || this.isSelected(e.account, e.mailboxId)) return;
        const ev: NotifyEvent = e.type === 'messages-added' ? 'MessageNew' : e.type === 'messages-expunged' ? 'MessageExpunge' : 'FlagChange';
        if (!this.wants(box, ev)) return;
        this.statusDue.set(k, { owner: e.account, id: e.mailboxId });
        break;
      }
      case 'mailbox-created': {
        if (!isOwnAccount) {
          // Another user's new mailbox is visible only through rights: re-read the shares.
          this.sharesDirty.add(e.account);
          break;
        }
        const box: VisibleBox = { owner: e.account, id: e.mailboxId, path: e.path, subscribed: this.subscribedNames.has(e.path), readable: true };
        this.boxes.set(key(e.account, e.mailboxId), box);
        if (!own && this.wants(box, 'MailboxName')) this.lines.push(this.listLine(box, box.subscribed ? ['\\Subscribed'] : []));
        break;
      }
      case 'mailbox-renamed': {
        const box = this.boxes.get(key(e.account, e.mailboxId));
        if (!box) return;
        const before = { ...box };
        box.path = e.newPath;
        const oldName = this.nameOf(before);
        if (box.subscribed) {
          this.subscribedNames.delete(oldName);
          this.subscribedNames.add(this.nameOf(box));
        }
        if (!own && (this.wants(before, 'MailboxName') || this.wants(box, 'MailboxName'))) {
          // §5.4: a rename is a LIST of the new name with the old one in OLDNAME (RFC 5258 extended data).
          this.lines.push(flat([this.listLine(box, box.subscribed ? ['\\Subscribed'] : []), ' ("OLDNAME" (', encodeName(this.session, oldName), '))']));
        }
        break;
      }
      case 'mailbox-deleted': {
        const k = key(e.account, e.mailboxId);
        const box = this.boxes.get(k);
        if (!box) return;
        const wanted = !own && this.wants(box, 'MailboxName');
        this.boxes.delete(k);
        this.statusDue.delete(k);
        if (wanted) this.lines.push(this.listLine(box, ['\\NonExistent']));
        break;
      }
      case 'mailbox-updated': {
        const k = key(e.account, e.mailboxId);
        if (!isOwnAccount || !this.boxes.has(k)) return;
        // Subscription, role or sort order: which one is read back at flush time.
        this.subscriptionChecks.set(k, (this.subscriptionChecks.get(k) ?? false) || !own);
        break;
      }
      case 'rights-changed':
        if (!isOwnAccount) this.sharesDirty.add(e.account);
        break;
      case 'metadata-changed': {
        // /private entries are their writer's own; another user's are none of this session's business.
        const entries = e.entries.filter((n) => !n.startsWith('/private') || e.user === this.session.account);
        if (own || entries.length === 0) return;
        if (e.mailboxId === null) {
          // Server entries are per user (another account's are refused to GETMETADATA).
          if (!isOwnAccount || !this.wantsAnywhere('ServerMetadataChange')) return;
          this.lines.push(this.metadataLine('""', entries));
          break;
        }
        const box = this.boxes.get(key(e.account, e.mailboxId));
        // GETMETADATA on a mailbox needs "l" and "r" (RFC 5464 §4.2 with RFC 4314).
        if (!box || !box.readable) return;
        const selectedWants = this.isSelected(e.account, e.mailboxId) && this.spec.selected?.events.has('MailboxMetadataChange') === true;
        if (!selectedWants && !this.wants(box, 'MailboxMetadataChange')) return;
        this.lines.push(this.metadataLine(encodeName(this.session, this.nameOf(box)), entries));
        break;
      }
      default:
        return;
    }
    this.queued();
  }

  private queued(): void {
    const size = this.lines.length + this.statusDue.size + this.subscriptionChecks.size + this.sharesDirty.size;
    if (size > (this.session.deps.notifyQueueLimit ?? MAX_PENDING)) {
      this.overflowed = true;
      this.clearQueues();
      for (const u of this.unsubscribes.splice(0)) u();
    }
    this.session.kickNotifications();
  }

  private clearQueues(): void {
    this.lines.length = 0;
    this.statusDue.clear();
    this.subscriptionChecks.clear();
    this.sharesDirty.clear();
  }

  /** An event group, whatever its mailboxes, asks for `event` (ServerMetadataChange concerns none). */
  private wantsAnywhere(event: NotifyEvent): boolean {
    return this.spec.selected?.events.has(event) === true || this.spec.filters.some((f) => f.events.has(event));
  }

  /** RFC 5464 §4.4.2: the unsolicited METADATA response names the changed entries, without values. */
  private metadataLine(mailbox: Wire, entries: readonly string[]): Wire[] {
    return flat(['METADATA ', mailbox, ...entries.flatMap((n) => [' ', astring(n, { utf8: this.session.utf8 })])]);
  }

  private listLine(box: { owner: string; path: string }, attrs: string[]): Wire[] {
    return flat([`LIST (${attrs.join(' ')}) "${SEPARATOR}" `, encodeName(this.session, this.nameOf(box))]);
  }

  // ---- output ---------------------------------------------------------------------------------

  /** Writes what is queued. The caller makes sure no command output is in progress. */
  async flush(): Promise<void> {
    const s = this.session;
    if (this.overflowed) {
      // §5.8: said once; from now on the session behaves as after NOTIFY NONE.
      this.overflowed = false;
      this.stopped = true;
      s.untagged('OK [NOTIFICATIONOVERFLOW] Too many notifications pending; NOTIFY is off, please resynchronise');
      return;
    }
    if (this.stopped) return;
    for (const owner of [...this.sharesDirty]) {
      this.sharesDirty.delete(owner);
      await this.recheckShares(owner);
    }
    for (const [k, report] of [...this.subscriptionChecks]) {
      this.subscriptionChecks.delete(k);
      await this.recheckSubscription(k, report);
    }
    for (const line of this.lines.splice(0)) s.untagged(line);
    const due = [...this.statusDue.values()];
    this.statusDue.clear();
    for (const { owner, id } of due) {
      const box = this.boxes.get(key(owner, id));
      if (!box || this.isSelected(owner, id) || s.isClosed) continue;
      await this.sendStatus(box);
    }
  }

  /**
   * NOTIFY SET STATUS (§3.1): a STATUS response for every watched mailbox but the selected one, or
   * `LIST (\NoAccess)` for one the user may list but not read (§3.1, RFC 5258 §3).
   */
  async initialStatus(): Promise<void> {
    const boxes = [...this.boxes.values()].sort((a, b) => (this.nameOf(a) < this.nameOf(b) ? -1 : 1));
    for (const box of boxes) {
      if (this.isSelected(box.owner, box.id) || this.session.isClosed) continue;
      await this.sendStatus(box);
    }
  }

  private async sendStatus(box: VisibleBox): Promise<void> {
    const events = new Set([...this.eventsFor(box)].filter((e) => MESSAGE_EVENTS.includes(e)));
    const items = statusItemsFor(events);
    if (items.length === 0) return;
    try {
      this.session.untagged(await statusLine(this.session, box.owner, box.id, items));
    } catch (err) {
      const code = toImapError(err)?.code;
      if (code === 'NOPERM') this.session.untagged(this.listLine(box, ['\\NoAccess']));
      // A mailbox deleted meanwhile: its MailboxName event (if wanted) says so.
      else if (code !== 'NONEXISTENT') throw err;
    }
  }

  private async recheckSubscription(k: string, report: boolean): Promise<void> {
    const box = this.boxes.get(k);
    if (!box) return;
    const now = await this.session.store.getMailbox(box.owner, box.id);
    if (!now || now.subscribed === box.subscribed) return;
    box.subscribed = now.subscribed;
    const name = this.nameOf(box);
    if (now.subscribed) this.subscribedNames.add(name);
    else this.subscribedNames.delete(name);
    // §5.5: a LIST response with the mailbox's attributes, \Subscribed or not.
    if (report && this.wants(box, 'SubscriptionChange')) this.session.untagged(this.listLine(box, now.subscribed ? ['\\Subscribed'] : []));
  }

  /**
   * §5.9: rights on another user's mailbox changed. A mailbox that became visible is reported as
   * created, one that became invisible as deleted (MailboxName), and watched or dropped accordingly.
   */
  private async recheckShares(owner: string): Promise<void> {
    const visible = new Map<string, VisibleBox>();
    for (const sh of await this.session.store.sharedWith(this.session.actor!)) {
      if (sh.owner === owner) visible.set(key(owner, sh.mailbox.id), { owner, id: sh.mailbox.id, path: sh.mailbox.path, subscribed: false, readable: sh.rights.includes('r') });
    }
    for (const [k, box] of [...this.boxes]) {
      if (box.owner !== owner || visible.has(k)) continue;
      const wanted = this.wants(box, 'MailboxName');
      this.boxes.delete(k);
      this.statusDue.delete(k);
      if (wanted) this.session.untagged(this.listLine(box, ['\\NonExistent']));
    }
    for (const [k, box] of visible) {
      const known = this.boxes.get(k);
      if (known) {
        known.path = box.path;
        known.readable = box.readable;
        continue;
      }
      this.boxes.set(k, box);
      if (this.wants(box, 'MailboxName')) this.session.untagged(this.listLine(box, []));
    }
  }
}
