// Per-session limits that smtpserver.xml has no key for, with defaults modelled on Postfix's
// (smtpd_hard_error_limit, smtpd_junk_command_limit), a cap on SASL lines sized for bearer tokens, and
// the input a busy session may hold before it stops reading.
import { MAX_SASL_BASE64_CHARS } from '../auth/sasl/limits.js';

export interface SessionLimits {
  /** 5xx replies before the session is closed with 421. */
  maxErrors: number;
  /** Commands of any kind in one session. */
  maxCommands: number;
  /** Longest AUTH command or SASL response line (bearer tokens are long). */
  maxSaslLine: number;
  /**
   * Unprocessed client input held while the session is busy (writing to the spool, delivering):
   * reading from the client stops at this many bytes and resumes once the session has caught up.
   */
  maxBufferedInput: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxErrors: 50,
  maxCommands: 100_000,
  maxSaslLine: MAX_SASL_BASE64_CHARS + 64,
  maxBufferedInput: 64 * 1024,
};
