// Starts Debian's Dovecot 2.3 for the comparison, in its own directory (runtime, state, logs, mail,
// keys) with its own loopback ports, in the foreground so its master is our child: IMAP and LMTP,
// OAUTHBEARER/XOAUTH2 through the oauth2 passdb with local JWT validation (`introspection_mode =
// local`, the provider's public key in a dict), a static userdb, Maildir, and an auth socket for
// Postfix's SASL. Two set-ups (DovecotProfile): `stock` keeps Debian's defaults (one login process
// and one imap process per connection); `login-hp` only puts the login processes in Dovecot's
// documented high-performance mode (`service_count = 0`, one per core kept waiting); `tuned` also
// reuses imap processes and keeps imap and lmtp processes waiting. Durability is the
// same in both: `mail_fsync = optimized` (Dovecot's default) fsyncs every delivered or appended message.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { canConnect } from '../../test/support/tcp.js';
import { waitFor } from '../../test/support/wait.js';
import { KID, type BenchIdp } from './idp.js';
import type { TlsFiles } from './tls.js';

/** How the peers are set up: Debian's defaults, Dovecot's login high-performance mode only, or tuned. */
export type PeerProfile = 'stock' | 'login-hp' | 'tuned';
export const PEER_PROFILES: readonly PeerProfile[] = ['stock', 'login-hp', 'tuned'];

export interface DovecotServer {
  pid: number;
  imapPort: number;
  /** Unix sockets for Postfix: SASL authentication and LMTP delivery. */
  authSocket: string;
  lmtpSocket: string;
  mailRoot: string;
  /** The settings that differ from Debian's defaults, for the bench's output. */
  summary: string;
  stop(): Promise<void>;
}

/** uid/gid that owns the mail (the Debian `nobody`/`nogroup`). */
const MAIL_UID = 65534;
const MAIL_GID = 65534;

/**
 * The service settings of one profile. `cores` login (and, when tuned, imap and lmtp) processes wait
 * for connections, as the documentation's high-performance mode suggests (one login process per CPU
 * core). Tuned imap processes serve 100 sessions each before they are replaced: all mail belongs to
 * one uid here, so reuse is allowed, and the documentation advises a finite count against slow leaks.
 * No auth cache: measured, it changed nothing for oauth2 local validation (every login still
 * verifies the token), and caching tokens would outlive their revocation.
 */
function serviceSettings(profile: PeerProfile, cores: number): { login: string; imap: string; lmtp: string } {
  if (profile === 'stock') return { login: '', imap: '', lmtp: '' };
  const login = `service_count = 0\n  process_min_avail = ${cores}\n  client_limit = 4096\n  vsz_limit = 1G`;
  if (profile === 'login-hp') return { login, imap: '', lmtp: '' };
  return { login, imap: `service_count = 100\n  process_min_avail = ${cores}`, lmtp: `process_min_avail = ${cores}` };
}

export function dovecotSummary(profile: PeerProfile, cores: number): string {
  const login = `imap-login service_count=0 process_min_avail=${cores} (high-performance mode)`;
  const profiles: Record<PeerProfile, string> = {
    stock: 'Dovecot stock (Debian defaults: a new imap-login and a new imap process per connection)',
    'login-hp': `Dovecot login-hp: ${login}; a new imap process per session (Debian default)`,
    tuned: `Dovecot tuned: ${login}; imap service_count=100 process_min_avail=${cores}; lmtp process_min_avail=${cores}`,
  };
  return `${profiles[profile]}; mail_fsync=optimized`;
}

/** Clear-text IMAP on the port, or (with `tls`) IMAPS there and no clear-text listener. */
function listeners(imapPort: number, tls: TlsFiles | undefined): { ssl: string; imap: number; imaps: number } {
  if (!tls) return { ssl: 'ssl = no', imap: imapPort, imaps: 0 };
  return { ssl: `ssl = yes\nssl_cert = <${tls.certPath}\nssl_key = <${tls.keyPath}`, imap: 0, imaps: imapPort };
}

function config(root: string, imapPort: number, profile: PeerProfile, cores: number, tls: TlsFiles | undefined): string {
  const s = serviceSettings(profile, cores);
  const l = listeners(imapPort, tls);
  return `# Written by bench/compare for one run.
instance_name = dovecot-compare-${basename(root)}
base_dir = ${root}/run
state_dir = ${root}/state
log_path = ${root}/dovecot.log
listen = 127.0.0.1
protocols = imap lmtp
${l.ssl}
disable_plaintext_auth = no
auth_mechanisms = oauthbearer xoauth2
mail_location = maildir:~/Maildir
first_valid_uid = ${MAIL_UID}
first_valid_gid = ${MAIL_GID}
mail_fsync = optimized
default_client_limit = 8192
protocol imap {
  mail_max_userip_connections = 2048
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${l.imap}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${l.imaps}
    ssl = yes
  }
  process_limit = 2048
  ${s.login}
}
service imap {
  process_limit = 2048
  ${s.imap}
}
service lmtp {
  unix_listener lmtp-compare {
    mode = 0666
  }
  ${s.lmtp}
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${root}/dovecot-oauth2.conf.ext
}
userdb {
  driver = static
  args = uid=${MAIL_UID} gid=${MAIL_GID} home=${root}/mail/%n allow_all_users=yes
}
`;
}

/** How the oauth2 passdb checks tokens: locally (JWT signature) or by RFC 7662 introspection. */
export type TokenCheck = 'local' | 'introspection';

function oauth2Config(root: string, idp: BenchIdp, check: TokenCheck): string {
  if (check === 'introspection') {
    // Dovecot sends the client credentials as HTTP Basic from the URL's userinfo.
    const [id, secret] = Buffer.from(idp.introspectionAuth.replace(/^Basic /, ''), 'base64').toString().split(':');
    const url = new URL(idp.introspectionUrl);
    url.username = id ?? '';
    url.password = secret ?? '';
    return `introspection_mode = post
introspection_url = ${url.href}
username_attribute = email
active_attribute = active
active_value = true
`;
  }
  return `introspection_mode = local
local_validation_key_dict = fs:posix:prefix=${root}/keys/
username_attribute = email
issuers = ${idp.issuer}
`;
}

export async function startDovecot(
  root: string,
  imapPort: number,
  idp: BenchIdp,
  options: { profile: PeerProfile; tls?: TlsFiles | undefined; tokenCheck?: TokenCheck },
): Promise<DovecotServer> {
  const { profile, tls, tokenCheck = 'local' } = options;
  const cores = availableParallelism();
  if (userInfo().uid !== 0) throw new Error('Dovecot is started as root here (it drops privileges itself)');
  // Login and mail processes run as other users: they must reach their files below root.
  await chmod(root, 0o755);
  const mailRoot = join(root, 'mail');
  await mkdir(mailRoot, { recursive: true });
  await chown(mailRoot, MAIL_UID, MAIL_GID);
  // The dict key is `<azp>/<alg>/<kid>` (azp "default" when the token has none).
  const keyDir = join(root, 'keys', 'default', 'RS256');
  await mkdir(keyDir, { recursive: true });
  await writeFile(join(keyDir, KID), idp.publicPem);
  await writeFile(join(root, 'dovecot-oauth2.conf.ext'), oauth2Config(root, idp, tokenCheck));
  const confPath = join(root, 'dovecot.conf');
  await writeFile(confPath, config(root, imapPort, profile, cores, tls));
  const child: ChildProcess = spawn('dovecot', ['-F', '-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', async (code) => reject(new Error(`dovecot exited (${code}): ${stderr}${await readFile(join(root, 'dovecot.log'), 'utf8').catch(() => '')}`))),
  );
  await Promise.race([waitFor(`Dovecot listening on ${imapPort}`, () => canConnect(imapPort), 10_000), exited]);
  return {
    pid: child.pid ?? 0,
    imapPort,
    authSocket: join(root, 'run', 'auth-postfix'),
    lmtpSocket: join(root, 'run', 'lmtp-compare'),
    mailRoot,
    summary: dovecotSummary(profile, cores),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        exited.catch(() => resolve());
        child.kill('SIGTERM');
      }),
  };
}
