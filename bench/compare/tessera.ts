// Starts Tessera for the comparison: a James-layout conf directory with one IMAP and one SMTP
// submission listener on loopback (clear text, or implicit TLS with the run's certificate when the
// comparison runs with --tls), both taking OAUTHBEARER/XOAUTH2 tokens from the bench's provider, an fsynced SQLite
// store, the default log level and `server.processes` as asked; then the server in a child process
// (tessera-child.ts), which is its supervisor when there are several processes. The listeners get
// free ports chosen here, since workers sharing a listener cannot report a port 0 back.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RELAXED_LOGIN_THROTTLE, xmlEscape } from '../../test/support/tessera-conf.js';
import { AUDIENCE, DOMAIN, SCOPE, type BenchIdp } from './idp.js';
import type { ServerMemory } from './tessera-child.js';
import type { TlsFiles } from './tls.js';
import { freePort } from './free-port.js';

export interface TesseraPorts {
  imapPort: number;
  /** The IMAP listener that checks (opaque) tokens by introspection. */
  introspectImapPort: number;
  submissionPort: number;
}

export interface TesseraServer extends TesseraPorts {
  /** The process that was started: the server, or the supervisor of its workers (they are its children). */
  pid: number;
  /** RSS and V8's figures, bytes, right after a full garbage collection, summed over every process. */
  memoryAfterGc(): Promise<TesseraMemory>;
  /** Writes a heap snapshot of the server to `path` (one process only; with several, nothing is written). */
  heapSnapshot(path: string): Promise<void>;
  stop(): Promise<void>;
}

/** Bytes after full garbage collections, summed over every process of the server. */
export type TesseraMemory = ServerMemory;

function tlsElement(tls: TlsFiles | undefined): string {
  if (!tls) return '<tls socketTLS="false" startTLS="false"/>';
  return `<tls socketTLS="true"><privateKey>file://${xmlEscape(tls.keyPath)}</privateKey><certificates>file://${xmlEscape(tls.certPath)}</certificates></tls>`;
}

async function writeConf(root: string, idp: BenchIdp, tls: TlsFiles | undefined, processes: number, ports: TesseraPorts): Promise<string> {
  const confDir = join(root, 'conf');
  await mkdir(confDir, { recursive: true });
  const oidcWith = (extra: string): string => `<oidc>
        <oidcConfigurationURL>${xmlEscape(idp.discoveryUrl)}</oidcConfigurationURL>
        <claim>email</claim><scope>${SCOPE}</scope><aud>${AUDIENCE}</aud><clientId>tessera</clientId>${extra}
      </oidc>`;
  const oidc = oidcWith('');
  const authWith = (o: string): string => `<auth><plainAuthEnabled>false</plainAuthEnabled><requireSSL>false</requireSSL>${o}</auth>`;
  const auth = authWith(oidc);
  // A second IMAP listener whose tokens are opaque and checked by RFC 7662 introspection.
  const introspected = authWith(
    oidcWith(`<introspection><url>${xmlEscape(idp.introspectionUrl)}</url><auth>${xmlEscape(idp.introspectionAuth)}</auth></introspection>`),
  );
  const imapBlock = (name: string, port: number, a: string): string => `<imapserver enabled="true">
  <jmxName>${name}</jmxName><bind>127.0.0.1:${port}</bind>${tlsElement(tls)}
  <connectionLimit>0</connectionLimit><connectionLimitPerIP>0</connectionLimitPerIP><connectiontimeout>1800</connectiontimeout>
  ${a}
</imapserver>`;
  const files: Record<string, string> = {
    'tessera.properties': [`data.dir=${join(root, 'var')}`, 'storage.engine=sqlite', 'devIdp.enabled=false', 'demo.seed=false', 'shutdown.timeout=5', `server.processes=${processes}`,
      // An ephemeral control port: the default 8001 made a second comparison running at once fail to start.
      'control.http.bind=127.0.0.1:0', ...RELAXED_LOGIN_THROTTLE, ''].join('\n'),
    'domainlist.xml': `<domainlist><domainnames><domainname>${DOMAIN}</domainname></domainnames><defaultDomain>${DOMAIN}</defaultDomain></domainlist>\n`,
    'usersrepository.xml': '<usersrepository name="LocalUsers" class="embedded"><enableVirtualHosting>true</enableVirtualHosting></usersrepository>\n',
    'imapserver.xml': `<imapservers>${imapBlock('imap', ports.imapPort, auth)}${imapBlock('imap-introspect', ports.introspectImapPort, introspected)}</imapservers>\n`,
    'smtpserver.xml': `<smtpservers><smtpserver enabled="true">
  <jmxName>smtp-submission</jmxName><bind>127.0.0.1:${ports.submissionPort}</bind>${tlsElement(tls)}
  <connectionLimit>0</connectionLimit><connectionLimitPerIP>0</connectionLimitPerIP><connectiontimeout>300</connectiontimeout>
  <helloName autodetect="false">mail.${DOMAIN}</helloName>
  <auth><announce>always</announce><requireAuthForRelay>true</requireAuthForRelay><plainAuthEnabled>false</plainAuthEnabled><requireSSL>false</requireSSL>${oidc}</auth>
  <verifyIdentity>true</verifyIdentity>
</smtpserver></smtpservers>\n`,
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(confDir, name), text);
  return confDir;
}

/**
 * `processes`: server.processes (1: one process, as before the setting existed). `cpuProfDir`: run
 * the server under --cpu-prof, writing a profile per process there when it stops.
 */
export async function startTessera(
  root: string,
  idp: BenchIdp,
  users: readonly string[],
  options: { processes: number; cpuProfDir?: string | undefined; tls?: TlsFiles | undefined },
): Promise<TesseraServer> {
  const { cpuProfDir, tls, processes } = options;
  const ports: TesseraPorts = { imapPort: await freePort(), introspectImapPort: await freePort(), submissionPort: await freePort() };
  const confDir = await writeConf(root, idp, tls, processes, ports);
  const log = openSync(join(root, 'tessera.log'), 'a');
  const child: ChildProcess = fork(fileURLToPath(new URL('./tessera-child.ts', import.meta.url)), [confDir, users.join(',')], {
    execArgv: ['--import', 'tsx', '--expose-gc', ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [])],
    stdio: ['ignore', log, log, 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`Tessera exited (${code}) before listening; see ${join(root, 'tessera.log')}`)));
  });
  const memoryAfterGc = (): Promise<TesseraMemory> =>
    new Promise((resolve) => {
      child.once('message', (m) => resolve(m as TesseraMemory));
      child.send('gc');
    });
  return {
    ...ports,
    pid: child.pid ?? 0,
    memoryAfterGc,
    heapSnapshot: (path) =>
      new Promise((resolve) => {
        child.once('message', () => resolve());
        child.send({ snapshot: path });
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}
