// Per-session limits pop3server.xml has no key for, modelled on the SMTP ones (Postfix's error and
// junk-command limits): an unauthenticated client gets few tries and little buffer, an
// authenticated one a generous command budget.
import { MAX_SASL_BASE64_CHARS } from '../auth/sasl/limits.js';

export interface SessionLimits {
  /** -ERR answers before the session is closed. */
  maxErrors: number;
  /** Commands before authentication (CAPA, STLS, USER, PASS, AUTH…): a login needs a handful. */
  maxPreAuthCommands: number;
  /** Commands of any kind in one session. */
  maxCommands: number;
  /** Longest SASL response line or AUTH command line (bearer tokens are long). */
  maxSaslLine: number;
  /** Unprocessed client input held while the session is busy: reading stops at this many bytes. */
  maxBufferedInput: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxErrors: 20,
  maxPreAuthCommands: 50,
  maxCommands: 1_000_000,
  maxSaslLine: MAX_SASL_BASE64_CHARS + 64,
  maxBufferedInput: 64 * 1024,
};
