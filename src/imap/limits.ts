// Which line and literal limits apply when: before authentication only what LOGIN or AUTHENTICATE
// can need (preAuthSizeLimit), so an unauthenticated client cannot make the server hold a large
// literal or line; after it the listener's full limits (maxLineLength, literalSizeLimit), which
// CAPABILITY and STATUS announce as APPENDLIMIT.
import type { ImapServerConfig } from '../config/types.js';
import type { FramerLimits } from './proto/framer.js';

export function preAuthLimits(config: ImapServerConfig): FramerLimits {
  return {
    maxLineLength: Math.min(config.maxLineLength, config.preAuthSizeLimit),
    maxLiteralSize: Math.min(config.maxLiteralSize, config.preAuthSizeLimit),
  };
}

export function authenticatedLimits(config: ImapServerConfig): FramerLimits {
  return { maxLineLength: config.maxLineLength, maxLiteralSize: config.maxLiteralSize };
}

/**
 * RFC 7889 APPENDLIMIT: the largest message APPEND accepts (the literal limit), or undefined when
 * there is none (literalSizeLimit 0). The same for every mailbox.
 */
export function appendLimit(config: ImapServerConfig): number | undefined {
  return config.maxLiteralSize >= Number.MAX_SAFE_INTEGER ? undefined : config.maxLiteralSize;
}
