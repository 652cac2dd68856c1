// One <imapserver> block → ImapServerConfig.
import { authSections, legacyCandidate } from './auth-xml.js';
import { readCommon } from './listener.js';
import type { ImapServerConfig } from './types.js';
import { InvalidValue, parseBoolean, parseInteger, parseSize } from './values.js';
import type { XmlSection } from './xml.js';

/** RFC 3501 §5.4: the autologout timer is at least 30 minutes, so IDLE clients are not cut off. */
export const DEFAULT_IMAP_TIMEOUT_SECONDS = 1800;
export const DEFAULT_IMAP_MAX_LINE_LENGTH = 65536;
/** Large enough for any message SMTP accepts by default (50 MB) plus encoding overhead. */
export const DEFAULT_IMAP_LITERAL_SIZE_LIMIT = 64 * 1024 * 1024;
/**
 * Before login a client needs only LOGIN or AUTHENTICATE: 64 KiB per line and per literal holds any
 * password and a large OAuth token, and bounds what an unauthenticated connection can make us hold.
 */
export const DEFAULT_IMAP_PRE_AUTH_SIZE_LIMIT = 64 * 1024;
/** Below this an OAUTHBEARER token in a SASL-IR line may not fit. */
const MIN_PRE_AUTH_SIZE_LIMIT = 4096;

export async function readImapBlock(block: XmlSection, index: number): Promise<ImapServerConfig> {
  const ctx = block.ctx;
  const sections = authSections(block);
  // James' old <plainAuthDisallowed>true</plainAuthDisallowed> meant "passwords only over TLS".
  const legacyRequireSSL = legacyCandidate(block.text('plainAuthDisallowed'), parseBoolean, `${block.key}.auth.requireSSL`);
  // James IMAP: auth.requireSSL falls back to plainAuthDisallowed, whose default is true.
  const common = await readCommon(block, { protocol: 'imap', index, defaultTimeout: DEFAULT_IMAP_TIMEOUT_SECONDS, legacyRequireSSL, requireSSLDefault: true, authSections: sections });

  const lineRaw = block.text('maxLineLength');
  const maxLineLength = lineRaw ? ctx.parse(lineRaw.key, lineRaw.raw, (raw) => parseInteger(raw, 1024)) : DEFAULT_IMAP_MAX_LINE_LENGTH;
  const literalRaw = block.text('literalSizeLimit');
  const literal = literalRaw ? ctx.parse(literalRaw.key, literalRaw.raw, (raw) => parseSize(raw)) : DEFAULT_IMAP_LITERAL_SIZE_LIMIT;
  if (!literalRaw) ctx.notice(block.childKey('literalSizeLimit'), `not set: IMAP literals (APPEND) up to ${DEFAULT_IMAP_LITERAL_SIZE_LIMIT / 1024 / 1024} MB (James: unlimited); write 0 for unlimited`);
  // James writes 0 for "no limit"; consumers compare sizes, so "no limit" becomes the largest integer.
  const maxLiteralSize = literal === 0 ? Number.MAX_SAFE_INTEGER : literal;

  const preAuthRaw = block.text('preAuthSizeLimit');
  const preAuthSizeLimit = preAuthRaw ? ctx.parse(preAuthRaw.key, preAuthRaw.raw, parsePreAuthSize) : DEFAULT_IMAP_PRE_AUTH_SIZE_LIMIT;

  return { protocol: 'imap', ...common, maxLineLength, maxLiteralSize, preAuthSizeLimit };
}

function parsePreAuthSize(raw: string): number {
  const n = parseSize(raw);
  if (n < MIN_PRE_AUTH_SIZE_LIMIT) throw new InvalidValue(`write a size of at least ${MIN_PRE_AUTH_SIZE_LIMIT} bytes, e.g. 64K (a login with an OAuth token must fit)`, 'out of range');
  return n;
}
