// imapserver.xml / smtpserver.xml / lmtpserver.xml / pop3server.xml / managesieveserver.xml: a <imapservers> root holding <imapserver> blocks (James' layout),
// or a single block as the root. Unknown elements are reported after every block has been read.
import type { FileContext } from './context.js';
import { readImapBlock } from './imap.js';
import { readLmtpBlock } from './lmtp.js';
import { readManageSieveBlock } from './managesieve.js';
import { readPop3Block } from './pop3.js';
import { readSmtpBlock } from './smtp.js';
import type { ImapServerConfig, ManageSieveServerConfig, Pop3ServerConfig, SmtpServerConfig } from './types.js';
import { parseXmlDocument, warnUnused, XmlSection, type XmlElement } from './xml.js';

/** James settings Tessera knowingly does not use, with the reason shown in the warning. */
const IGNORED_JAMES_SETTINGS: ReadonlyMap<string, string> = new Map([
  ['connectionBacklog', 'Tessera queues up to 4096 pending connections, capped by the kernel'],
  ['idleTimeInterval', 'IDLE keep-alives are built in'],
  ['idleTimeIntervalUnit', 'IDLE keep-alives are built in'],
  ['idleTimeResolution', 'IDLE keep-alives are built in'],
  ['enableIdle', 'IDLE is always available'],
  ['concurrentRequests', 'Netty tuning'],
  ['maxQueueSize', 'Netty tuning'],
  ['bossWorkerCount', 'Netty tuning'],
  ['ioWorkerCount', 'Netty tuning'],
  ['maxExecutorCount', 'Netty tuning'],
  ['inMemorySizeLimit', 'large literals always go to disk'],
  ['connectionCheckFrequency', ''],
  ['gracefulShutdown', 'shutdown.timeout in tessera.properties applies'],
  ['customProperties', ''],
  ['enableJmx', 'JMX is a Java facility'],
  ['jmxHandlersPackage', 'JMX is a Java facility'],
  ['smtpGreeting', 'the greeting is "<helloName> ESMTP Tessera ready"'],
  ['addressBracketsEnforcement', 'MAIL FROM and RCPT TO take addresses with or without <>'],
  ['heloEhloEnforcement', 'HELO or EHLO is always required before MAIL'],
  ['provider', 'Node.js TLS is used'],
  ['algorithm', 'Node.js TLS is used'],
]);

export async function loadImapFile(ctx: FileContext, text: string): Promise<ImapServerConfig[]> {
  const blocks = blocksOf(ctx, text, 'imapservers', 'imapserver');
  const out: ImapServerConfig[] = [];
  for (const [i, block] of blocks.entries()) out.push(await readImapBlock(block, i + 1));
  for (const block of blocks) warnUnused(ctx, block.el, block.key, IGNORED_JAMES_SETTINGS);
  return out;
}

export async function loadSmtpFile(ctx: FileContext, text: string): Promise<SmtpServerConfig[]> {
  const blocks = blocksOf(ctx, text, 'smtpservers', 'smtpserver');
  const out: SmtpServerConfig[] = [];
  for (const [i, block] of blocks.entries()) out.push(await readSmtpBlock(block, i + 1));
  for (const block of blocks) warnUnused(ctx, block.el, block.key, IGNORED_JAMES_SETTINGS);
  return out;
}

export async function loadLmtpFile(ctx: FileContext, text: string): Promise<SmtpServerConfig[]> {
  const blocks = blocksOf(ctx, text, 'lmtpservers', 'lmtpserver');
  const out: SmtpServerConfig[] = [];
  for (const [i, block] of blocks.entries()) out.push(await readLmtpBlock(block, i + 1));
  for (const block of blocks) warnUnused(ctx, block.el, block.key, IGNORED_JAMES_SETTINGS);
  return out;
}

export async function loadPop3File(ctx: FileContext, text: string): Promise<Pop3ServerConfig[]> {
  const blocks = blocksOf(ctx, text, 'pop3servers', 'pop3server');
  const out: Pop3ServerConfig[] = [];
  for (const [i, block] of blocks.entries()) out.push(await readPop3Block(block, i + 1));
  for (const block of blocks) warnUnused(ctx, block.el, block.key, IGNORED_JAMES_SETTINGS);
  return out;
}

export async function loadManageSieveFile(ctx: FileContext, text: string): Promise<ManageSieveServerConfig[]> {
  const blocks = blocksOf(ctx, text, 'managesieveservers', 'managesieveserver');
  const out: ManageSieveServerConfig[] = [];
  for (const [i, block] of blocks.entries()) out.push(await readManageSieveBlock(block, i + 1));
  for (const block of blocks) warnUnused(ctx, block.el, block.key, IGNORED_JAMES_SETTINGS);
  return out;
}

function blocksOf(ctx: FileContext, text: string, wrapper: string, blockName: string): XmlSection[] {
  const root = parseXmlDocument(ctx, text);
  if (root.name === blockName) return [new XmlSection(ctx, root, `${blockName}[1]`)];
  if (root.name !== wrapper) {
    ctx.fail('(root)', `<${root.name}>`, `the root element must be <${wrapper}> (holding <${blockName}> blocks) or a single <${blockName}>`, 'unexpected root element');
  }
  const blocks: XmlElement[] = [];
  for (const child of root.children) {
    if (child.name === blockName) {
      child.used = true;
      blocks.push(child);
    } else {
      ctx.warn(`${wrapper}.${child.name}`, `unknown element <${child.name}> is ignored; only <${blockName}> blocks belong in <${wrapper}>`);
    }
  }
  for (const a of root.attrs.keys()) ctx.warn(`${wrapper}@${a}`, `unknown attribute "${a}" is ignored`);
  return blocks.map((el, i) => new XmlSection(ctx, el, `${blockName}[${i + 1}]`));
}
