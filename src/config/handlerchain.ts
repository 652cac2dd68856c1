// smtpserver.xml <handlerchain>: which SMTP commands a James listener loads. James builds each
// listener's chain from a core handlers package — the coreHandlersPackage attribute, else
// CoreCmdHandlerLoader — plus every <handler class="…"/> listed (ProtocolHandlerChainImpl). The
// packages differ in one command: NoAuthCmdHandlerLoader, which James' samples put on port 25, has no
// AuthCmdHandler, so AUTH is neither announced nor accepted there. Tessera answers a command its James
// chain would not load with 502, so a James MX listener does not start taking passwords.
import type { FileContext } from './context.js';
import type { XmlSection } from './xml.js';

const SMTPSERVER = 'org.apache.james.smtpserver';
const CORE_PACKAGE = `${SMTPSERVER}.CoreCmdHandlerLoader`;
const NO_AUTH_PACKAGE = `${SMTPSERVER}.NoAuthCmdHandlerLoader`;

/** Core packages Tessera knows, with the commands each leaves out. */
const PACKAGES: ReadonlyMap<string, readonly string[]> = new Map([
  [CORE_PACKAGE, []],
  [NO_AUTH_PACKAGE, ['AUTH']],
]);

/** Handlers that bring a command back when listed on their own (AUTH and the hook it needs). */
const COMMAND_HANDLERS: ReadonlyMap<string, string> = new Map([
  ['org.apache.james.protocols.smtp.core.esmtp.AuthCmdHandler', 'AUTH'],
  [`${SMTPSERVER}.UsersRepositoryAuthHook`, 'AUTH'],
]);

/**
 * Handlers whose behaviour Tessera has built in, so listing them changes nothing: the members of
 * James' core packages, the packages themselves (a package listed as a <handler> is loaded as a plain
 * object no hook calls, i.e. it has no effect in James either), and ValidRcptHandler (RCPT for an
 * unknown local user is refused with 550 5.1.1, as Tessera always does).
 */
const BUILT_IN = new Set([
  CORE_PACKAGE,
  NO_AUTH_PACKAGE,
  `${SMTPSERVER}.fastfail.ValidRcptHandler`,
  `${SMTPSERVER}.JamesWelcomeMessageHandler`,
  `${SMTPSERVER}.JamesDataCmdHandler`,
  `${SMTPSERVER}.JamesMailCmdHandler`,
  `${SMTPSERVER}.JamesRcptCmdHandler`,
  `${SMTPSERVER}.AuthRequiredToRelayRcptHook`,
  `${SMTPSERVER}.SenderAuthIdentifyVerificationHook`,
  `${SMTPSERVER}.SenderAuthIdentifyVerificationRcptHook`,
  `${SMTPSERVER}.DataLineJamesMessageHookHandler`,
  `${SMTPSERVER}.AddDefaultAttributesMessageHook`,
  `${SMTPSERVER}.SendMailHandler`,
  'org.apache.james.protocols.api.handler.CommandDispatcher',
  'org.apache.james.protocols.api.handler.CommandHandlerResultLogger',
  'org.apache.james.protocols.smtp.core.log.HookResultLogger',
  'org.apache.james.protocols.smtp.core.ExpnCmdHandler',
  'org.apache.james.protocols.smtp.core.HeloCmdHandler',
  'org.apache.james.protocols.smtp.core.HelpCmdHandler',
  'org.apache.james.protocols.smtp.core.NoopCmdHandler',
  'org.apache.james.protocols.smtp.core.PostmasterAbuseRcptHook',
  'org.apache.james.protocols.smtp.core.QuitCmdHandler',
  'org.apache.james.protocols.smtp.core.ReceivedDataLineFilter',
  'org.apache.james.protocols.smtp.core.RsetCmdHandler',
  'org.apache.james.protocols.smtp.core.UnknownCmdHandler',
  'org.apache.james.protocols.smtp.core.VrfyCmdHandler',
  'org.apache.james.protocols.smtp.core.esmtp.EhloCmdHandler',
  'org.apache.james.protocols.smtp.core.esmtp.MailSizeEsmtpExtension',
  'org.apache.james.protocols.smtp.core.esmtp.StartTlsCmdHandler',
]);

function short(cls: string): string {
  return cls.slice(cls.lastIndexOf('.') + 1);
}

/**
 * The SMTP verbs this block's James handler chain does not load (answered 502, left out of EHLO and
 * HELP). No <handlerchain> means James' default package, CoreCmdHandlerLoader: every command.
 */
export function readHandlerChain(block: XmlSection): string[] {
  const ctx: FileContext = block.ctx;
  const chain = block.child('handlerchain');
  if (!chain) return [];
  const pkg = chain.attr('coreHandlersPackage');
  const packageName = pkg?.raw ?? CORE_PACKAGE;
  const missing = PACKAGES.get(packageName);
  if (missing === undefined && pkg) {
    ctx.fail(
      pkg.key,
      pkg.raw,
      `Tessera knows ${CORE_PACKAGE} (every command, AUTH included) and ${NO_AUTH_PACKAGE} (every command but AUTH, for MX listeners); use one of them or remove the attribute`,
      'unknown handlers package',
    );
  }
  const disabled = new Set(missing ?? []);
  const notRun: string[] = [];
  for (const handler of chain.children('handler')) {
    const cls = handler.attr('class');
    // Settings of a handler (e.g. ValidRcptHandler's <validUsers>) belong to it: read with it.
    handler.consumeAll();
    if (!cls || cls.raw === '') {
      ctx.fail(handler.attrKey('class'), '', 'every <handler> names its Java class, e.g. <handler class="org.apache.james.smtpserver.fastfail.ValidRcptHandler"/>', 'missing');
    }
    const command = COMMAND_HANDLERS.get(cls.raw);
    if (command !== undefined) disabled.delete(command);
    else if (!BUILT_IN.has(cls.raw)) notRun.push(cls.raw);
  }
  if (notRun.length > 0) {
    ctx.warn(
      chain.key,
      `James handlers not run by Tessera, so the checks they make are not applied: ${notRun.map(short).join(', ')} (${notRun.join(', ')})`,
    );
  }
  return [...disabled];
}
