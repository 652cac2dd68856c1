// One <managesieveserver> block (managesieveserver.xml) → ManageSieveServerConfig. James' keys are the
// listener keys every block has (bind, tls, connectiontimeout, connection limits, jmxName, and the
// <oidc> section of James' OIDC example, which sits directly in the block), plus <maxmessagesize>
// (kilobytes, 0 = unlimited), read here as the largest script upload. Tessera adds the <auth> section
// the other listeners have, so ManageSieve follows the same plainAuthEnabled / requireSSL / <oidc> rules.
import { authSections } from './auth-xml.js';
import { applyConnectionDefaults, readCommon } from './listener.js';
import type { ManageSieveServerConfig } from './types.js';
import { parseInteger, parseSize } from './values.js';
import type { XmlSection } from './xml.js';

/** James' ManageSieve sample writes <connectiontimeout>360</connectiontimeout>. */
export const DEFAULT_MANAGESIEVE_TIMEOUT_SECONDS = 360;
/** A command line; AUTHENTICATE with a bearer token as a quoted string is the longest one. */
export const DEFAULT_MANAGESIEVE_MAX_LINE_LENGTH = 32 * 1024;
/** The same bounds as POP3 when a block sets none (James: unlimited); 0 still means unlimited. */
export const DEFAULT_MANAGESIEVE_CONNECTION_LIMIT = 1000;
export const DEFAULT_MANAGESIEVE_CONNECTION_LIMIT_PER_IP = 20;

export async function readManageSieveBlock(block: XmlSection, index: number): Promise<ManageSieveServerConfig> {
  const ctx = block.ctx;
  // James' OIDC example (examples-oidc/james/managesieveserver.xml) writes <oidc> directly in the
  // block: read there as well as inside <auth>.
  const sections = [...authSections(block), ...(block.child('oidc') ? [block] : [])];
  // James' ManageSieve takes PLAIN in clear text; Tessera's default for a block that does not say is
  // IMAP's: credentials only over TLS (startup checks name it).
  const common = await readCommon(block, {
    protocol: 'managesieve',
    index,
    defaultTimeout: DEFAULT_MANAGESIEVE_TIMEOUT_SECONDS,
    requireSSLDefault: true,
    authSections: sections,
  });
  applyConnectionDefaults(block, common, 'ManageSieve', { total: DEFAULT_MANAGESIEVE_CONNECTION_LIMIT, perIP: DEFAULT_MANAGESIEVE_CONNECTION_LIMIT_PER_IP });
  const sizeRaw = block.text('maxmessagesize');
  const maxScriptUpload = sizeRaw ? ctx.parse(sizeRaw.key, sizeRaw.raw, (raw) => parseSize(raw, 'K')) : 0;
  const lineRaw = block.text('maxLineLength');
  const maxLineLength = lineRaw ? ctx.parse(lineRaw.key, lineRaw.raw, (raw) => parseInteger(raw, 1024)) : DEFAULT_MANAGESIEVE_MAX_LINE_LENGTH;
  return { protocol: 'managesieve', ...common, maxLineLength, maxScriptUpload };
}
