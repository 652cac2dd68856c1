// One <smtpserver> block → SmtpServerConfig, including James' relay and AUTH-announce rules and
// their legacy spellings (<authRequired>, <requireAuth>), <auth><required> and <verifyIdentity>.
import { resolveAliases, type Candidate } from './aliases.js';
import { authSections, leaf, legacyCandidate } from './auth-xml.js';
import { readHandlerChain } from './handlerchain.js';
import { applyConnectionDefaults, readCommon } from './listener.js';
import type { AnnounceMode, ListenerCommon, SenderVerificationMode, SmtpServerConfig } from './types.js';
import { InvalidValue, parseBoolean, parseCidrList, parseEnum, parseInteger, parseSize } from './values.js';
import type { XmlSection } from './xml.js';

/** RFC 5321 §4.5.3.2.7 suggests 5 minutes of server timeout while waiting for a command. */
export const DEFAULT_SMTP_TIMEOUT_SECONDS = 300;
export const DEFAULT_SMTP_MAX_MESSAGE_SIZE = 50 * 1024 * 1024;
/** RFC 5321 §4.5.3.1.8 requires at least 100; Postfix accepts 1000. */
export const DEFAULT_SMTP_MAX_RECIPIENTS = 1000;
export const DEFAULT_SMTP_MAX_LINE_LENGTH = 65536;
/**
 * Connection limits when a block sets none (James' own default is unlimited). Each session holds at
 * most ~256 KiB of input and message data, so 1000 sessions stay within ~256 MB; 50 per address is
 * Postfix's smtpd_client_connection_count_limit. An explicit 0 still means unlimited, as in James.
 */
export const DEFAULT_SMTP_CONNECTION_LIMIT = 1000;
export const DEFAULT_SMTP_CONNECTION_LIMIT_PER_IP = 50;

const ANNOUNCE_MODES: readonly AnnounceMode[] = ['always', 'forUnauthorizedAddresses', 'never'];

function parseAnnounce(raw: string): AnnounceMode {
  try {
    return parseEnum(raw, ANNOUNCE_MODES);
  } catch {
    throw new InvalidValue('allowed values: always, forUnauthorizedAddresses, never');
  }
}

/** James' old <authRequired>: true → forUnauthorizedAddresses, announce → always, false → never. */
function parseAuthRequired(raw: string): AnnounceMode {
  const v = raw.trim().toLowerCase();
  if (v === 'true') return 'forUnauthorizedAddresses';
  if (v === 'announce') return 'always';
  if (v === 'false') return 'never';
  throw new InvalidValue('allowed values: true, false, announce (better: <auth><announce>always|forUnauthorizedAddresses|never</announce>)');
}

/** James' SenderVerificationMode.parse: true/strict, relaxed, false/disabled (any case). */
export function parseVerifyIdentity(raw: string): SenderVerificationMode {
  switch (raw.trim().toLowerCase()) {
    case 'true':
    case 'strict':
      return 'strict';
    case 'relaxed':
      return 'relaxed';
    case 'false':
    case 'disabled':
      return 'disabled';
    default:
      throw new InvalidValue('allowed values: strict (or true), relaxed, disabled (or false)');
  }
}

/** SMTP's connection limits when a block sets none; shared with lmtpserver.xml, whose blocks are SMTP blocks in James too. */
export function applySmtpConnectionDefaults(block: XmlSection, common: ListenerCommon, label: string): void {
  applyConnectionDefaults(block, common, label, { total: DEFAULT_SMTP_CONNECTION_LIMIT, perIP: DEFAULT_SMTP_CONNECTION_LIMIT_PER_IP });
}

/** <maxmessagesize> (James: kilobytes, 0 = unlimited), <maxRecipients>, <maxLineLength>. */
export function readMessageLimits(block: XmlSection): Pick<SmtpServerConfig, 'maxMessageSize' | 'maxRecipients' | 'maxLineLength'> {
  const ctx = block.ctx;
  const sizeRaw = block.text('maxmessagesize');
  const maxMessageSize = sizeRaw ? ctx.parse(sizeRaw.key, sizeRaw.raw, (raw) => parseSize(raw, 'K')) : DEFAULT_SMTP_MAX_MESSAGE_SIZE;
  if (!sizeRaw) ctx.notice(block.childKey('maxmessagesize'), `not set: messages up to ${DEFAULT_SMTP_MAX_MESSAGE_SIZE / 1024 / 1024} MB (James: unlimited); write 0 for unlimited`);
  const rcptRaw = block.text('maxRecipients');
  const maxRecipients = rcptRaw ? ctx.parse(rcptRaw.key, rcptRaw.raw, (raw) => parseInteger(raw, 1)) : DEFAULT_SMTP_MAX_RECIPIENTS;
  const lineRaw = block.text('maxLineLength');
  const maxLineLength = lineRaw ? ctx.parse(lineRaw.key, lineRaw.raw, (raw) => parseInteger(raw, 1000)) : DEFAULT_SMTP_MAX_LINE_LENGTH;
  return { maxMessageSize, maxRecipients, maxLineLength };
}

export async function readSmtpBlock(block: XmlSection, index: number): Promise<SmtpServerConfig> {
  const ctx = block.ctx;
  const sections = authSections(block);
  // James SMTP (SMTPServer.AuthenticationConfiguration): auth.requireSSL defaults to false.
  const common = await readCommon(block, { protocol: 'smtp', index, defaultTimeout: DEFAULT_SMTP_TIMEOUT_SECONDS, requireSSLDefault: false, authSections: sections });
  applySmtpConnectionDefaults(block, common, 'SMTP');

  const announceKey = `${block.key}.auth.announce`;
  const announce =
    resolveAliases<AnnounceMode>(ctx, [
      ...leaf(sections, 'announce', parseAnnounce),
      legacyCandidate(block.text('authRequired'), parseAuthRequired, announceKey),
    ])?.value ?? 'never';

  // <auth><required>: James' AuthRequiredHook (submission listeners). James' legacy top-level
  // <authRequired> only ever chose the AUTH announcement (read above, as James' parseFallback does); it
  // never refused unauthenticated MAIL FROM, so it is not an alias of this key.
  const authRequired = resolveAliases(ctx, leaf(sections, 'required', parseBoolean))?.value ?? false;

  const relayKey = `${block.key}.auth.requireAuthForRelay`;
  const relayCandidates: Candidate<boolean>[] = [
    ...leaf(sections, 'requireAuthForRelay', parseBoolean),
    { value: block.text('requireAuthForRelay'), parse: parseBoolean, deprecated: { replacement: relayKey, origin: "the original proposal's name" } },
    legacyCandidate(block.text('requireAuth'), parseBoolean, relayKey),
  ];
  const requireAuthForRelay = resolveAliases(ctx, relayCandidates)?.value ?? true;

  const addrRaw = block.text('authorizedAddresses');
  const authorizedAddresses = addrRaw ? ctx.parse(addrRaw.key, addrRaw.raw, parseCidrList) : [];
  const verifyRaw = block.text('verifyIdentity');
  // James' default is strict.
  const verifyIdentity = verifyRaw ? ctx.parse(verifyRaw.key, verifyRaw.raw, parseVerifyIdentity) : 'strict';
  const { maxMessageSize, maxRecipients, maxLineLength } = readMessageLimits(block);

  const disabledCommands = readHandlerChain(block);

  return { protocol: 'smtp', ...common, announce, authRequired, requireAuthForRelay, authorizedAddresses, verifyIdentity, maxMessageSize, maxRecipients, maxLineLength, disabledCommands };
}
