// Starts Debian's Dovecot 2.3 for the comparison, in its own directory (runtime, state, logs, mail,
// keys) with its own loopback ports, in the foreground so its master is our child: IMAP and LMTP,
// OAUTHBEARER/XOAUTH2 through the oauth2 passdb with local JWT validation (`introspection_mode =
// local`, the provider's public key in a dict), a static userdb, Maildir, and an auth socket for
// Postfix's SASL. Everything else stays at Debian's defaults (fsync on, one login process per
// connection), so the figures are those of a stock installation doing the same OAuth work.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { canConnect } from '../../test/support/tcp.js';
import { waitFor } from '../../test/support/wait.js';
import { KID, type BenchIdp } from './idp.js';

export interface DovecotServer {
  pid: number;
  imapPort: number;
  /** Unix sockets for Postfix: SASL authentication and LMTP delivery. */
  authSocket: string;
  lmtpSocket: string;
  mailRoot: string;
  stop(): Promise<void>;
}

/** uid/gid that owns the mail (the Debian `nobody`/`nogroup`). */
const MAIL_UID = 65534;
const MAIL_GID = 65534;

function config(root: string, imapPort: number): string {
  return `# Written by bench/compare for one run.
instance_name = dovecot-compare
base_dir = ${root}/run
state_dir = ${root}/state
log_path = ${root}/dovecot.log
listen = 127.0.0.1
protocols = imap lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = oauthbearer xoauth2
mail_location = maildir:~/Maildir
first_valid_uid = ${MAIL_UID}
first_valid_gid = ${MAIL_GID}
default_client_limit = 8192
protocol imap {
  mail_max_userip_connections = 2048
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
  process_limit = 2048
}
service imap {
  process_limit = 2048
}
service lmtp {
  unix_listener lmtp-compare {
    mode = 0666
  }
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

function oauth2Config(root: string, issuer: string): string {
  return `introspection_mode = local
local_validation_key_dict = fs:posix:prefix=${root}/keys/
username_attribute = email
issuers = ${issuer}
`;
}

export async function startDovecot(root: string, imapPort: number, idp: BenchIdp): Promise<DovecotServer> {
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
  await writeFile(join(root, 'dovecot-oauth2.conf.ext'), oauth2Config(root, idp.issuer));
  const confPath = join(root, 'dovecot.conf');
  await writeFile(confPath, config(root, imapPort));
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
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        exited.catch(() => resolve());
        child.kill('SIGTERM');
      }),
  };
}
