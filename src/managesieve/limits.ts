// Per-session limits managesieveserver.xml has no key for, modelled on POP3's: an unauthenticated
// client gets few tries and little buffer (only what AUTHENTICATE can need, literals included), an
// authenticated one a generous command budget.
import { MAX_SASL_BASE64_CHARS } from '../auth/sasl/limits.js';

export interface SessionLimits {
  /** NO answers before the session is closed. */
  maxErrors: number;
  /** Commands before authentication (CAPABILITY, STARTTLS, AUTHENTICATE…): a login needs a handful. */
  maxPreAuthCommands: number;
  /** Commands of any kind in one session. */
  maxCommands: number;
  /** Largest SASL string (quoted or literal) before login: a bearer token's base64 and a little more. */
  maxSaslString: number;
  /** Unprocessed client input held while the session is busy: reading stops at this many bytes. */
  maxBufferedInput: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxErrors: 20,
  maxPreAuthCommands: 50,
  maxCommands: 1_000_000,
  maxSaslString: MAX_SASL_BASE64_CHARS + 64,
  maxBufferedInput: 64 * 1024,
};
