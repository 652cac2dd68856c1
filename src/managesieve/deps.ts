// What the ManageSieve front-end needs from the rest of the server. `tessera serve` builds these once;
// tests build them around a temporary store.
import type { AuthService } from '../auth/service.js';
import type { SessionAdmission } from '../core/sessions.js';
import type { Logger } from '../log/logger.js';
import type { AccountStore, SieveScriptLimits, SieveScriptStore } from '../store/types.js';
import type { SessionLimits } from './limits.js';

/** The store facets ManageSieve uses: the account, and its Sieve scripts. */
export type ManageSieveStore = Pick<AccountStore, 'ensureAccount'> & SieveScriptStore;

export interface ManageSieveDeps {
  auth: AuthService;
  store: ManageSieveStore;
  logger: Logger;
  /**
   * Session control: every login is admitted here, which refuses revoked tokens and lets revocation
   * (back-channel logout, re-introspection, token expiry, admin) end the session.
   */
  sessions: SessionAdmission;
  /** What one account may store (tessera.properties sieve.*), shared with JMAP. */
  quota: SieveScriptLimits;
  /** Overrides of the built-in session limits (tests, tuning). */
  limits?: Partial<SessionLimits>;
}
