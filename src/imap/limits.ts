// Which line and literal limits apply when: before authentication only what LOGIN or AUTHENTICATE
// can need (preAuthSizeLimit), so an unauthenticated client cannot make the server hold a large
// literal or line; after it the listener's full limits (maxLineLength, literalSizeLimit).
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
