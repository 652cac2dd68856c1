// Loads a James-layout conf directory into the resolved TesseraConfig model. Every file is optional:
// a missing imapserver.xml / smtpserver.xml / jmap.properties means that protocol is not served (as in
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
import { loadImapFile, loadSmtpFile } from './listener-file.js';
import { loadSettingsFile } from './settings.js';
import { controlHttpActive } from './control.js';
import type { TesseraConfig } from './types.js';
import { loadUsersFile } from './users.js';

export interface ConfigWarning { file: string; key: string; message: string }
export interface LoadedConfig {
  config: TesseraConfig;
  warnings: ConfigWarning[];
  /** Not problems: where Tessera's default is safer than James' (said once at start, info level). */
  notices: ConfigWarning[];
}

const CONF_FILES = {
  imap: 'imapserver.xml',
  smtp: 'smtpserver.xml',
  jmap: 'jmap.properties',
  users: 'usersrepository.xml',
  domains: 'domainlist.xml',
  settings: 'tessera.properties',
} as const;

export async function loadConfig(confDir: string, options?: { env?: NodeJS.ProcessEnv }): Promise<LoadedConfig> {
  const env = options?.env ?? process.env;
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
  let policy: ReadPolicy = DEFAULT_READ_POLICY;
  const ctx = (name: string): FileContext => new FileContext(dir, name, warnings, notices, policy);

  const settingsCtx = ctx(CONF_FILES.settings);
  const { settings, control, authThrottle, readPolicy } = loadSettingsFile(settingsCtx, await readOptionalFile(settingsCtx), env);
  policy = readPolicy;
  const domainsCtx = ctx(CONF_FILES.domains);
  const domains = loadDomainsFile(domainsCtx, await readOptionalFile(domainsCtx));
  const usersCtx = ctx(CONF_FILES.users);
  const users = loadUsersFile(usersCtx, await readOptionalFile(usersCtx));

  const imapCtx = ctx(CONF_FILES.imap);
  const imapText = await readOptionalFile(imapCtx);
  const imap = imapText === undefined ? [] : await loadImapFile(imapCtx, imapText);
  const smtpCtx = ctx(CONF_FILES.smtp);
  const smtpText = await readOptionalFile(smtpCtx);
  const smtp = smtpText === undefined ? [] : await loadSmtpFile(smtpCtx, smtpText);
  const jmapCtx = ctx(CONF_FILES.jmap);
  const jmap = await loadJmapFile(jmapCtx, await readOptionalFile(jmapCtx));

  const uses: BindUse[] = [];
  for (const [list, c] of [[imap, imapCtx], [smtp, smtpCtx]] as const) {
    for (const [i, server] of list.entries()) {
      if (!server.enabled) continue;
      const blockKey = `${server.protocol === 'imap' ? 'imapserver' : 'smtpserver'}[${i + 1}].bind`;
      for (const address of server.bind) uses.push({ address, file: c.display, key: blockKey });
    }
  }
  if (jmap.enabled) uses.push({ address: jmap.bind, file: jmapCtx.display, key: 'jmap.port' });
  if (settings.devIdp.enabled) uses.push({ address: { host: '127.0.0.1', port: settings.devIdp.port }, file: settingsCtx.display, key: 'devIdp.port' });
  if (controlHttpActive({ control, jmap, imap, smtp })) uses.push({ address: control.http.bind, file: settingsCtx.display, key: 'control.http.bind' });
  checkDuplicateBinds(uses);
  warnings.push(...(await notServedWarnings(dir, Object.values(CONF_FILES))));

  return { config: { confDir: dir, settings, control, authThrottle, imap, smtp, jmap, users, domains }, warnings, notices };
}
