// What the SMTP front-end needs from the rest of the server. The lead builds these once in
// `tessera serve`; tests build them around a temporary store.
import type { AuthService } from '../auth/service.js';
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import type { DeliveryService } from '../core/delivery.js';
import type { InboundAuthenticator } from '../core/mail-auth.js';
import type { Logger } from '../log/logger.js';
import type { SessionAdmission } from '../core/sessions.js';
import type { SessionLimits } from './limits.js';

export interface SmtpDeps {
  auth: AuthService;
  users: UsersRepository;
  domains: DomainList;
  /** Local delivery and the outbound queue (shared with JMAP EmailSubmission). */
  delivery: DeliveryService;
  logger: Logger;
  /**
   * Session control: every AUTH is admitted here, which refuses revoked tokens and lets revocation
   * (back-channel logout, re-introspection, token expiry, admin) end the session with 421.
   */
  sessions: SessionAdmission;
  /**
   * Directory where messages are staged while they arrive (each listener uses a sub-directory named
   * after it). `tessera serve` gives <data dir>/spool/smtp.
   */
  spoolDir: string;
  /**
   * SPF/DKIM/DMARC/ARC verification of mail from clients that neither authenticated nor are in
   * <authorizedAddresses> (MX traffic). Absent: no verification.
   */
  mailAuth?: InboundAuthenticator;
  /** Overrides of the built-in session limits (tests, tuning). */
  limits?: Partial<SessionLimits>;
}
