// Header fields no script may add or delete (RFC 5293 §7 lets a server protect fields): the trace of
// how the message came (Received, Return-Path, our Delivered-To loop marker), authentication
// verdicts and signatures a later reader relies on, and Auto-Submitted, which keeps auto-replies from
// looping. The validator refuses them when written literally; the executor ignores them otherwise.
export const PROTECTED_HEADERS: ReadonlySet<string> = new Set([
  'received',
  'return-path',
  'delivered-to',
  'auto-submitted',
  'dkim-signature',
  'arc-seal',
  'arc-message-signature',
  'arc-authentication-results',
  'authentication-results',
]);
