// What WebAdmin administers, handed in by `tessera serve` (src/server/webadmin.ts): the directory,
// the store, live sessions and health. Sessions and health arrive as these narrow interfaces because
// a protocol adapter never imports session control or the start-up code.
import type { AppPasswordManager } from '../auth/app-passwords/service.js';
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import type { RecipientRewriteTable } from '../auth/rewrite/types.js';
import type { RecentAuthEvents } from '../auth/recent-events.js';
import type { HealthCheck } from '../core/health.js';
import type { MailStore } from '../store/types.js';
import type { EmbeddedGroups } from '../auth/users/groups.js';

/** The embedded repository's groups ("$group" ACL identifiers), as /groups changes them. */
export type GroupAdmin = Pick<EmbeddedGroups, 'list' | 'members' | 'addMember' | 'removeMember' | 'remove'>;

/** A live session as an administrator sees it (never a token). */
export interface SessionView {
  id: string;
  protocol: string;
  user: string;
  mechanism: string;
  peer: string;
  startedAt: string;
  tokenExpiry?: string | undefined;
  clientId?: string | undefined;
}

export interface SessionAdmin {
  /** The live sessions of this server (with several server processes, every worker's). */
  list(): Promise<SessionView[]>;
  /** Ends one session now; false when no such session is live. */
  end(id: string, reason: string): Promise<boolean>;
  /**
   * Ends every session of the user on every node and refuses its tokens issued so far (a recorded
   * revocation); how many sessions of this node ended. A user the users repository does not know
   * (`known` false) is revoked only when it has live sessions here: undefined, and nothing
   * revoked, when it has none.
   */
  revokeUser(user: string, reason: string, known: boolean): Promise<number | undefined>;
  /** Ends, on every node, the sessions in which `delegate` acts as `owner` (a delegation taken back); how many of this node's ended. */
  endDelegated(owner: string, delegate: string): Promise<number>;
}

export interface WebAdminDeps {
  users: UsersRepository;
  domains: DomainList;
  /** Aliases, forwards and domain aliases (/address/aliases, /address/forwards, /domains/{d}/aliases). */
  rewrites: RecipientRewriteTable;
  store: MailStore;
  sessions: SessionAdmin;
  health: readonly HealthCheck[];
  /** Asks the outbound worker to look at the queue now (after a flush). */
  wakeQueue(): void;
  events: RecentAuthEvents;
  /** The embedded repository's groups (/groups); absent when the users (and their groups) live in LDAP. */
  groups?: GroupAdmin;
  /** Users' app passwords (/users/{u}/app-passwords); revoking one ends its sessions through the service's listeners. */
  appPasswords: AppPasswordManager;
}
