// One <pop3server> block (pop3server.xml) → Pop3ServerConfig. James' POP3 keys are the listener keys
// every block has (bind, tls, connectiontimeout, connection limits, helloName, jmxName), read by
// listener.ts, plus its <handlerchain>, whose only core package is CoreCmdHandlerLoader (every
// command). Tessera adds the <auth> section IMAP and SMTP have, so POP3 follows the same
// plainAuthEnabled / requireSSL / <oidc> rules.
import { authSections } from './auth-xml.js';
import { applyConnectionDefaults, readCommon } from './listener.js';
import type { Pop3ServerConfig } from './types.js';
import { parseInteger } from './values.js';
import type { XmlSection } from './xml.js';

/** James' POP3 default <connectiontimeout> (pop3server.xml samples write 1200). */
export const DEFAULT_POP3_TIMEOUT_SECONDS = 1200;
/** RFC 2449 §4: a command line is at most 255 octets; an AUTH initial response with a token is longer. */
export const DEFAULT_POP3_MAX_LINE_LENGTH = 8192;
/** The same bounds as SMTP when a block sets none (James: unlimited); 0 still means unlimited. */
export const DEFAULT_POP3_CONNECTION_LIMIT = 1000;
export const DEFAULT_POP3_CONNECTION_LIMIT_PER_IP = 50;

const CORE_PACKAGE = 'org.apache.james.pop3server.core.CoreCmdHandlerLoader';

export async function readPop3Block(block: XmlSection, index: number): Promise<Pop3ServerConfig> {
  const ctx = block.ctx;
  const sections = authSections(block);
  // James' POP3 has no <auth> section and takes USER/PASS in clear text; Tessera's default for a
  // block that does not say is IMAP's: credentials only over TLS (startup checks name it).
  const common = await readCommon(block, { protocol: 'pop3', index, defaultTimeout: DEFAULT_POP3_TIMEOUT_SECONDS, requireSSLDefault: true, authSections: sections });
  applyConnectionDefaults(block, common, 'POP3', { total: DEFAULT_POP3_CONNECTION_LIMIT, perIP: DEFAULT_POP3_CONNECTION_LIMIT_PER_IP });
  const lineRaw = block.text('maxLineLength');
  const maxLineLength = lineRaw ? ctx.parse(lineRaw.key, lineRaw.raw, (raw) => parseInteger(raw, 512)) : DEFAULT_POP3_MAX_LINE_LENGTH;
  readPop3HandlerChain(block);
  return { protocol: 'pop3', ...common, maxLineLength };
}

/** James' POP3 chain: CoreCmdHandlerLoader is every command Tessera serves; other handlers are not run. */
function readPop3HandlerChain(block: XmlSection): void {
  const ctx = block.ctx;
  const chain = block.child('handlerchain');
  if (!chain) return;
  const pkg = chain.attr('coreHandlersPackage');
  if (pkg && pkg.raw !== CORE_PACKAGE) {
    ctx.fail(pkg.key, pkg.raw, `Tessera knows ${CORE_PACKAGE} (every POP3 command); use it or remove the attribute`, 'unknown handlers package');
  }
  const notRun: string[] = [];
  for (const handler of chain.children('handler')) {
    const cls = handler.attr('class');
    handler.consumeAll();
    if (cls && cls.raw !== CORE_PACKAGE) notRun.push(cls.raw);
  }
  if (notRun.length > 0) ctx.warn(chain.key, `James POP3 handlers not run by Tessera: ${notRun.join(', ')}`);
}
