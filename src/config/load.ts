// Loads a James-layout conf directory into the resolved TesseraConfig model. Every file is optional:
// a missing imapserver.xml / smtpserver.xml / pop3server.xml / managesieveserver.xml / jmap.properties means that protocol is not served (as in
// James), a missing usersrepository.xml / domainlist.xml / tessera.properties means defaults.
// Anything that cannot be honoured throws ConfigError; anything unknown becomes a warning.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { checkDuplicateBinds, type BindUse } from './binds.js';
import { DEFAULT_READ_POLICY, displayPath, FileContext, readOptionalFile, type ReadPolicy } from './context.js';
import { loadDomainsFile } from './domains.js';
import { notServedWarnings } from './james-files.js';
import { ConfigError } from './errors.js';
import { loadJmapFile } from './jmap.js';
import { loadMailetContainerFile } from './mailetcontainer.js';
import { loadDnsServiceFile } from './dnsservice.js';
import type { MailAuthSettings } from './mailauth.js';
import { loadImapFile, loadLmtpFile, loadManageSieveFile, loadPop3File, loadSmtpFile } from './listener-file.js';
import { loadSettingsFile } from './settings.js';
import { loadJamesPostgresFile } from './postgres.js';
import { controlHttpActive } from './control.js';
import type { ListenerCommon, ProxyProtocolConfig, TesseraConfig, WebAdminConfig } from './types.js';
import { loadUsersFile } from './users.js';
import { loadWebAdminFile } from './webadmin.js';

export interface ConfigWarning { file: string; key: string; message: string }
export interface LoadedConfig {
  config: TesseraConfig;
  warnings: ConfigWarning[];
  /** Not problems: where Tessera's default is safer than James' (said once at start, info level). */
  notices: ConfigWarning[];
}

/** tessera.properties alone: where the data is, and Tessera's own settings. */
export type SettingsConfig = Pick<TesseraConfig, 'confDir' | 'settings' | 'control' | 'authThrottle' | 'discovery'>;
/** What the users, domains and mailbox commands need: the settings plus how users and domains are kept. */
export type DirectoryConfig = SettingsConfig & Pick<TesseraConfig, 'users' | 'domains'>;

const CONF_FILES = {
  imap: 'imapserver.xml',
  smtp: 'smtpserver.xml',
  lmtp: 'lmtpserver.xml',
  pop3: 'pop3server.xml',
  managesieve: 'managesieveserver.xml',
  jmap: 'jmap.properties',
  webadmin: 'webadmin.properties',
  users: 'usersrepository.xml',
  domains: 'domainlist.xml',
  settings: 'tessera.properties',
  postgres: 'postgres.properties',
  mailet: 'mailetcontainer.xml',
  dns: 'dnsservice.xml',
} as const;

interface ConfReader {
  dir: string;
  warnings: ConfigWarning[];
  notices: ConfigWarning[];
  /** Set from tessera.properties before any other file is read. */
  policy: ReadPolicy;
  ctx(name: string): FileContext;
}

async function openConfDir(confDir: string): Promise<ConfReader> {
  const dir = path.resolve(confDir);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new ConfigError({
      file: displayPath(dir),
      key: '--conf',
      value: confDir,
      allowed: 'give the directory holding imapserver.xml, smtpserver.xml, jmap.properties… (the sample is ./conf)',
      problem: info ? 'not a directory' : 'no such directory',
    });
  }
  const warnings: ConfigWarning[] = [];
  const notices: ConfigWarning[] = [];
  const conf: ConfReader = {
    dir,
    warnings,
    notices,
    policy: DEFAULT_READ_POLICY,
    ctx: (name) => new FileContext(dir, name, warnings, notices, conf.policy),
  };
  return conf;
}

/** tessera.properties' mail authentication keys ride along until loadConfig completes them. */
type SettingsRead = SettingsConfig & { mailAuth: MailAuthSettings };

async function readSettings(conf: ConfReader, env: NodeJS.ProcessEnv): Promise<SettingsRead> {
  const settingsCtx = conf.ctx(CONF_FILES.settings);
  const postgresCtx = conf.ctx(CONF_FILES.postgres);
  const postgresText = await readOptionalFile(postgresCtx);
  const readJamesPostgres = () => (postgresText !== undefined ? loadJamesPostgresFile(postgresCtx, postgresText) : undefined);
  const { settings, control, authThrottle, mailAuth, discovery, readPolicy } = loadSettingsFile(settingsCtx, await readOptionalFile(settingsCtx), env, readJamesPostgres);
  conf.policy = readPolicy;
  return { confDir: conf.dir, settings, control, authThrottle, mailAuth, discovery };
}

async function readDirectory(conf: ConfReader, env: NodeJS.ProcessEnv): Promise<DirectoryConfig & { mailAuth: MailAuthSettings }> {
  const settings = await readSettings(conf, env);
  const domainsCtx = conf.ctx(CONF_FILES.domains);
  const domains = loadDomainsFile(domainsCtx, await readOptionalFile(domainsCtx));
  const usersCtx = conf.ctx(CONF_FILES.users);
  const users = loadUsersFile(usersCtx, await readOptionalFile(usersCtx));
  return { ...settings, users, domains };
}

/**
 * Only tessera.properties (`tessera sessions`: the data directory's admin socket). The listener
 * files are not read, so their warnings or errors do not get in the way of administration.
 */
export async function loadSettingsConfig(confDir: string, options?: { env?: NodeJS.ProcessEnv }): Promise<{ config: SettingsConfig; warnings: ConfigWarning[] }> {
  const conf = await openConfDir(confDir);
  return { config: await readSettings(conf, options?.env ?? process.env), warnings: conf.warnings };
}

/** tessera.properties, domainlist.xml and usersrepository.xml, for the user, domain, import and export commands. */
export async function loadDirectoryConfig(confDir: string, options?: { env?: NodeJS.ProcessEnv }): Promise<{ config: DirectoryConfig; warnings: ConfigWarning[] }> {
  const conf = await openConfDir(confDir);
  return { config: await readDirectory(conf, options?.env ?? process.env), warnings: conf.warnings };
}

/**
 * webadmin.properties alone (with its key file): where the `user` and `domain` commands find a
 * running server's WebAdmin API.
 */
export async function loadWebAdminConfig(confDir: string): Promise<{ config: WebAdminConfig; warnings: ConfigWarning[] }> {
  const conf = await openConfDir(confDir);
  const ctx = conf.ctx(CONF_FILES.webadmin);
  const config = await loadWebAdminFile(ctx, await readOptionalFile(ctx), (name) => readOptionalFile(conf.ctx(name)));
  return { config, warnings: conf.warnings };
}

/** The whole directory, listeners included: what `tessera serve` runs. */
export async function loadConfig(confDir: string, options?: { env?: NodeJS.ProcessEnv }): Promise<LoadedConfig> {
  const env = options?.env ?? process.env;
  const conf = await openConfDir(confDir);
  const { settings, control, authThrottle, discovery, users, domains, mailAuth: mailAuthSettings } = await readDirectory(conf, env);
  const settingsCtx = conf.ctx(CONF_FILES.settings);
  // tessera.properties `postmaster` wins over James' <postmaster> (both name the same thing).
  const mailetCtx = conf.ctx(CONF_FILES.mailet);
  const mailet = await loadMailetContainerFile(mailetCtx, await readOptionalFile(mailetCtx), domains.defaultDomain);
  const jamesPostmaster = mailet.postmaster;
  const dnsCtx = conf.ctx(CONF_FILES.dns);
  const mailAuth = { ...mailAuthSettings, dkimMailetKeys: mailet.dkimKeys, dns: loadDnsServiceFile(dnsCtx, await readOptionalFile(dnsCtx)) };
  if (mailet.smarthost) settings.smarthost = mailet.smarthost;
  if (settings.postmaster === undefined && jamesPostmaster !== undefined) settings.postmaster = jamesPostmaster;
  // As in James, a postmaster without a domain is in the default domain.
  if (settings.postmaster !== undefined && !settings.postmaster.includes('@')) settings.postmaster = `${settings.postmaster}@${domains.defaultDomain}`;

  const imapCtx = conf.ctx(CONF_FILES.imap);
  const imapText = await readOptionalFile(imapCtx);
  const imap = imapText === undefined ? [] : await loadImapFile(imapCtx, imapText);
  const smtpCtx = conf.ctx(CONF_FILES.smtp);
  const smtpText = await readOptionalFile(smtpCtx);
  const smtp = smtpText === undefined ? [] : await loadSmtpFile(smtpCtx, smtpText);
  const lmtpCtx = conf.ctx(CONF_FILES.lmtp);
  const lmtpText = await readOptionalFile(lmtpCtx);
  const lmtp = lmtpText === undefined ? [] : await loadLmtpFile(lmtpCtx, lmtpText);
  const pop3Ctx = conf.ctx(CONF_FILES.pop3);
  const pop3Text = await readOptionalFile(pop3Ctx);
  const pop3 = pop3Text === undefined ? [] : await loadPop3File(pop3Ctx, pop3Text);
  const sieveCtx = conf.ctx(CONF_FILES.managesieve);
  const sieveText = await readOptionalFile(sieveCtx);
  const managesieve = sieveText === undefined ? [] : await loadManageSieveFile(sieveCtx, sieveText);
  const jmapCtx = conf.ctx(CONF_FILES.jmap);
  const jmap = await loadJmapFile(jmapCtx, await readOptionalFile(jmapCtx));
  const webadminCtx = conf.ctx(CONF_FILES.webadmin);
  const webadmin = await loadWebAdminFile(webadminCtx, await readOptionalFile(webadminCtx), (name) => readOptionalFile(conf.ctx(name)));
  if (webadmin.enabled && webadmin.oidc.enabled) {
    const anyOidc = jmap.auth.oidc !== undefined || [...imap, ...smtp, ...pop3, ...managesieve].some((l) => l.auth.oidc !== undefined);
    if (!anyOidc) webadminCtx.fail('oidc.enabled', 'true', 'WebAdmin checks tokens with the OpenID provider of jmap.properties or an <oidc> block of the listeners; configure one, or use jwt.enabled', 'no OpenID provider configured');
    if ((users.administratorIds ?? []).length === 0) {
      webadminCtx.fail('oidc.enabled', 'true', 'WebAdmin accepts the tokens of administrators only: list them in usersrepository.xml <administratorId>', 'no administrator');
    }
  }

  applyProxyProtocol(settings.proxy, settingsCtx, [imap, smtp, lmtp, pop3, managesieve]);

  const uses: BindUse[] = [];
  for (const [list, c] of [[imap, imapCtx], [smtp, smtpCtx], [lmtp, lmtpCtx], [pop3, pop3Ctx], [managesieve, sieveCtx]] as const) {
    for (const [i, server] of list.entries()) {
      if (!server.enabled) continue;
      const element = 'lmtp' in server && server.lmtp ? 'lmtpserver' : `${server.protocol}server`;
      const blockKey = `${element}[${i + 1}].bind`;
      for (const address of server.bind) uses.push({ address, file: c.display, key: blockKey });
    }
  }
  if (jmap.enabled) uses.push({ address: jmap.bind, file: jmapCtx.display, key: 'jmap.port' });
  if (settings.devIdp.enabled) uses.push({ address: { host: '127.0.0.1', port: settings.devIdp.port }, file: settingsCtx.display, key: 'devIdp.port' });
  if (webadmin.enabled) uses.push({ address: webadmin.bind, file: webadminCtx.display, key: 'port' });
  if (controlHttpActive({ control, jmap, imap, smtp, pop3, managesieve })) uses.push({ address: control.http.bind, file: settingsCtx.display, key: 'control.http.bind' });
  checkDuplicateBinds(uses);
  // mailetcontainer.xml is read for <postmaster>, the RemoteDelivery gateway and DKIMSign only, so it is still named as not served (its other mailets).
  // postgres.properties is read only with storage.engine=postgres; otherwise it is named as unused.
  const served = Object.values(CONF_FILES).filter((f) => f !== CONF_FILES.mailet && (f !== CONF_FILES.postgres || settings.storage.engine === 'postgres'));
  conf.warnings.push(...(await notServedWarnings(conf.dir, served)));

  return {
    config: { confDir: conf.dir, settings, control, authThrottle, discovery, imap, smtp, lmtp, pop3, managesieve, jmap, webadmin, users, domains, mailAuth },
    warnings: conf.warnings,
    notices: conf.notices,
  };
}

/**
 * Hands tessera.properties' proxy.* to every listener with <proxyRequired>. One with no trusted
 * network stops the start: the header would be accepted from no one (every connection closed), and
 * trusting everyone would let any client claim any address (and pass authorizedAddresses).
 */
function applyProxyProtocol(proxy: ProxyProtocolConfig, settingsCtx: FileContext, lists: ReadonlyArray<readonly ListenerCommon[]>): void {
  for (const list of lists) {
    for (const server of list) {
      if (!server.proxyRequired) continue;
      if (server.enabled && proxy.trustedNetworks.length === 0) {
        settingsCtx.fail(
          'proxy.trustedNetworks',
          '',
          `${server.source} (listener ${server.name}) has <proxyRequired>true</proxyRequired>: list the load balancers' addresses that may send PROXY headers, e.g. proxy.trustedNetworks=10.0.0.2, 10.0.1.0/24 (or remove <proxyRequired>)`,
          'missing',
        );
      }
      server.proxy = proxy;
    }
  }
}
