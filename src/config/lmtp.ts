// One <lmtpserver> block (James' lmtpserver.xml) → an SmtpServerConfig with `lmtp: true`: the SMTP
// adapter speaks LMTP (RFC 2033) on it. LMTP is how an MTA on the same host (Postfix
// `mailbox_transport = lmtp:…`) hands over mail for final delivery, without authentication, for any
// local user: so a block must bind to loopback unless <allowNonLoopback>true</allowNonLoopback> says
// the operator has fenced the port in another way.
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { authSections } from './auth-xml.js';
import { readCommon } from './listener.js';
import { applySmtpConnectionDefaults, readMessageLimits } from './smtp.js';
import type { SmtpServerConfig } from './types.js';
import { parseBoolean } from './values.js';
import type { XmlSection } from './xml.js';

/** James' LMTP timeout default (lmtpserver.xml sample: 1200 s; an MTA keeps cached connections open). */
export const DEFAULT_LMTP_TIMEOUT_SECONDS = 1200;

/** The handler package of every James LMTP sample: the whole command set Tessera serves. */
const LMTP_CORE_PACKAGE = 'org.apache.james.lmtpserver.CoreCmdHandlerLoader';

/** True for addresses only this host can reach: 127.0.0.0/8, ::1 (and v4-mapped 127/8), localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** <handlerchain>: James' LMTP core package is what Tessera does; other handlers are named as not run. */
function readLmtpHandlerChain(block: XmlSection): void {
  const chain = block.child('handlerchain');
  if (!chain) return;
  chain.attr('coreHandlersPackage');
  const notRun: string[] = [];
  for (const handler of chain.children('handler')) {
    handler.consumeAll();
    const cls = handler.attr('class')?.raw ?? '';
    if (cls !== LMTP_CORE_PACKAGE) notRun.push(cls);
  }
  if (notRun.length > 0) {
    block.ctx.warn(chain.key, `James handlers not run by Tessera, so what they do is not done: ${notRun.join(', ')}`);
  }
}

/** sun_path on Linux: 108 bytes with the terminating NUL. */
const MAX_UNIX_SOCKET_PATH_BYTES = 107;

/**
 * <unixSocket>/run/tessera/lmtp.sock</unixSocket>: a Tessera key (James' LMTP has no socket) for
 * Postfix `lmtp:unix:…`. Access is the file's mode (0660) and its directory's, so no loopback rule.
 */
function readUnixSocket(block: XmlSection): string | undefined {
  const v = block.text('unixSocket');
  if (!v) return undefined;
  const path = v.raw.trim();
  if (!isAbsolute(path)) block.ctx.fail(v.key, v.raw, 'an absolute path, e.g. <unixSocket>/run/tessera/lmtp.sock</unixSocket>', 'relative socket path');
  if (Buffer.byteLength(path) > MAX_UNIX_SOCKET_PATH_BYTES) {
    block.ctx.fail(v.key, v.raw, `a path of at most ${MAX_UNIX_SOCKET_PATH_BYTES} bytes (the kernel's limit for a socket address); choose a shorter directory`, 'socket path too long');
  }
  return path;
}

export async function readLmtpBlock(block: XmlSection, index: number): Promise<SmtpServerConfig> {
  const ctx = block.ctx;
  const unixSocket = readUnixSocket(block);
  const common = await readCommon(block, {
    bindOptional: unixSocket !== undefined,
    protocol: 'lmtp',
    index,
    defaultTimeout: DEFAULT_LMTP_TIMEOUT_SECONDS,
    requireSSLDefault: false,
    authSections: authSections(block),
  });
  if (common.enabled && (common.tls.socketTLS || common.tls.startTLS)) {
    ctx.fail(block.childKey('tls'), '', 'LMTP serves an MTA on this host (loopback) and offers no TLS, as in James; remove <tls> or turn it off', 'TLS not offered on LMTP');
  }
  const optIn = block.text('allowNonLoopback');
  const allowNonLoopback = optIn ? ctx.parse(optIn.key, optIn.raw, parseBoolean) : false;
  if (common.enabled && !allowNonLoopback) {
    const exposed = common.bind.find((b) => !isLoopbackHost(b.host));
    if (exposed) {
      ctx.fail(
        block.childKey('bind'),
        `${exposed.host}:${exposed.port}`,
        `LMTP accepts mail for every local user without authentication, so it binds to loopback: write <bind>127.0.0.1:${exposed.port}</bind>, or add <allowNonLoopback>true</allowNonLoopback> if a firewall keeps everyone but your MTA away from this port`,
        'LMTP on a non-loopback address',
      );
    }
  }
  applySmtpConnectionDefaults(block, common, 'LMTP');
  readLmtpHandlerChain(block);
  return {
    protocol: 'smtp',
    lmtp: true,
    ...common,
    ...(unixSocket !== undefined ? { unixSocket } : {}),
    // The MTA in front has done its checks: no AUTH, no relaying, no sender verification.
    announce: 'never',
    authRequired: false,
    requireAuthForRelay: true,
    authorizedAddresses: [],
    verifyIdentity: 'disabled',
    ...readMessageLimits(block),
    disabledCommands: ['AUTH', 'STARTTLS'],
  };
}
