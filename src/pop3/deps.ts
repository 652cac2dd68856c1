// What the POP3 front-end needs from the rest of the server. `tessera serve` builds these once;
// tests build them around a temporary store.
import type { AuthService } from '../auth/service.js';
import type { SessionAdmission } from '../core/sessions.js';
import type { Logger } from '../log/logger.js';
import type { AccountStore, MailboxStore, MessageReader, MessageWriter } from '../store/types.js';
import type { SessionLimits } from './limits.js';

/** The store facets POP3 uses: INBOX's messages, their bytes, and expunging the deleted ones. */
export type Pop3Store = AccountStore & Pick<MailboxStore, 'findMailboxByPath'> & Pick<MessageReader, 'getMessages' | 'snapshot' | 'readMessage'> & Pick<MessageWriter, 'storeFlags' | 'expunge'>;

export interface Pop3Deps {
  auth: AuthService;
  store: Pop3Store;
  logger: Logger;
  /**
   * Session control: every login is admitted here, which refuses revoked tokens and lets revocation
   * (back-channel logout, re-introspection, token expiry, admin) end the session.
   */
  sessions: SessionAdmission;
  /** Overrides of the built-in session limits (tests, tuning). */
  limits?: Partial<SessionLimits>;
}
