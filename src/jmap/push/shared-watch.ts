// Push for the accounts shared with a user (RFC 8620 §7.1 StateChange, RFC 9670): bob's EventSource
// or WebSocket learns of new mail in the mailbox alice shared with him. It listens to the owner's
// events of the shared mailboxes only (a change in alice's private mailboxes tells bob nothing), and
// sends bob's view of the states (the store's shared view, whose states carry the grants), only when
// they differ from the last ones sent. A rights change for the user re-reads the grants: a revoked
// account stops pushing at once, a newly shared one starts (`refresh`, called when the user's own
// account reports a share notification). Each account's states are pushed once when its watch starts.
import type { AccountEvent, EventBus, Unsubscribe } from '../../events/types.js';
import type { Actor, MailStore } from '../../store/types.js';
import { ANYONE, GROUP_PREFIX } from '../../store/rights.js';
import type { Logger } from '../../log/logger.js';
import { jmapAccount, sharedAccounts } from '../account-id.js';

/** The data types of a shared account that push reports. */
const SHARED_TYPES = ['Mailbox', 'Email', 'Thread'] as const;

export type SharedStatesHandler = (accountId: string, states: Record<string, string>) => void;

interface Watched {
  unsubscribe: Unsubscribe;
  mailboxIds: Set<string>;
  last: string;
}

export class SharedAccountsWatch {
  private readonly owners = new Map<string, Watched>();
  private closed = false;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private readonly user: string,
    /** The user with its groups as the repository answers now (re-read at every reload). */
    private readonly actorOf: () => Promise<Actor>,
    private readonly store: MailStore,
    private readonly events: EventBus,
    private readonly logger: Logger,
    private readonly onStates: SharedStatesHandler,
  ) {}

  /** Re-reads which mailboxes are shared with the user; calls are serialised. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.reload()).catch((err: unknown) => this.logger.warn({ err }, 'shared accounts watch: reload failed'));
    return this.refreshing;
  }

  close(): void {
    this.closed = true;
    for (const w of this.owners.values()) w.unsubscribe();
    this.owners.clear();
  }

  private async reload(): Promise<void> {
    const shared = await this.store.sharedWith(await this.actorOf());
    if (this.closed) return;
    const byOwner = new Map<string, Set<string>>();
    for (const s of shared) {
      if (!s.rights.includes('r')) continue;
      const set = byOwner.get(s.owner) ?? new Set<string>();
      set.add(s.mailbox.id);
      byOwner.set(s.owner, set);
    }
    for (const [owner, w] of this.owners) {
      if (byOwner.has(owner)) continue;
      w.unsubscribe();
      this.owners.delete(owner);
    }
    for (const [owner, mailboxIds] of byOwner) {
      const w = this.owners.get(owner);
      if (w !== undefined) {
        w.mailboxIds = mailboxIds;
        continue;
      }
      const watched: Watched = { unsubscribe: () => undefined, mailboxIds, last: '' };
      watched.unsubscribe = this.events.onAccount(owner, (event) => this.onOwnerEvent(owner, event));
      this.owners.set(owner, watched);
      // The account's states are sent at once when it starts being watched: a change between the
      // client's last look and this subscription is then never missed (an unchanged state costs the
      // client one /changes call), and the client knows from when on it hears about the account.
      await this.push(owner);
    }
  }

  private onOwnerEvent(owner: string, event: AccountEvent): void {
    const w = this.owners.get(owner);
    if (w === undefined || this.closed) return;
    if (event.type === 'rights-changed') {
      // A group's change may concern the user: the reload asks the repository for its groups.
      if (event.identifier === this.user || event.identifier === ANYONE || event.identifier.startsWith(GROUP_PREFIX)) void this.refresh().then(() => this.push(owner));
      return;
    }
    // Annotations are no JMAP data type: nothing a client of the shared account syncs changed.
    if (event.type === 'state-changed' || event.type === 'mailbox-created' || event.type === 'metadata-changed') return;
    if (w.mailboxIds.has(event.mailboxId)) void this.push(owner);
  }

  private async states(owner: string): Promise<Record<string, string>> {
    const all = await this.store.actingAs(await this.actorOf()).getStates(owner);
    return Object.fromEntries(SHARED_TYPES.map((t) => [t, all[t]]));
  }

  private async push(owner: string): Promise<void> {
    const w = this.owners.get(owner);
    if (w === undefined || this.closed) return;
    try {
      const states = await this.states(owner);
      const key = JSON.stringify(states);
      if (this.closed || this.owners.get(owner) !== w || key === w.last) return;
      w.last = key;
      this.onStates(jmapAccount(owner).id, states);
    } catch (err) {
      this.logger.warn({ err }, 'shared accounts watch: states failed');
    }
  }
}

/** The shared accounts' current states, for the first push event. */
export async function sharedCurrentStates(store: MailStore, actor: Actor): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  const view = store.actingAs(actor);
  for (const account of sharedAccounts(await store.sharedWith(actor)).values()) {
    const all = await view.getStates(account.name);
    out[account.id] = Object.fromEntries(SHARED_TYPES.map((t) => [t, all[t]]));
  }
  return out;
}
