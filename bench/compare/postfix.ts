// Starts Debian's Postfix 3.7 for the comparison as a separate instance (own config, queue and data
// directories under the run's temp dir, no chroot): a submission smtpd on a loopback port that
// authenticates through Dovecot's SASL socket (so OAUTHBEARER is the same local JWT check) and
// delivers to the comparison domain over Dovecot's LMTP. The queue file is fsynced before the 250,
// as Postfix always does; LMTP delivery follows in the background. The `tuned` profile adds what
// Postfix's tuning guides name for a submission-heavy server on a trusted network: no reverse DNS of
// the client, no DNS at all for local LMTP, no inbound flow delay (cleanup is never the bottleneck
// here), and smtpd processes reused longer (LMTP connections to Dovecot are cached by default). The queue file is
// still fsynced before the 250 in every profile (Postfix has no setting to turn that off).
import { execFile, execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canConnect } from '../../test/support/tcp.js';
import { waitFor } from '../../test/support/wait.js';
import { promisify } from 'node:util';
import { DOMAIN } from './idp.js';
import type { DovecotServer, PeerProfile } from './dovecot.js';
import type { TlsFiles } from './tls.js';

const run = promisify(execFile);

/** The uid of the `postfix` user, which owns the data directory. */
function postfixUid(): number {
  return Number(execFileSync('id', ['-u', 'postfix']).toString().trim());
}

export interface PostfixServer {
  submissionPort: number;
  /** The master's pid (its children are the smtpd, cleanup, qmgr… processes). */
  pid(): Promise<number>;
  /** The settings that differ from Debian's defaults, for the bench's output. */
  summary: string;
  stop(): Promise<void>;
}

const TUNED = [
  'smtpd_peername_lookup = no',
  'smtp_dns_support_level = disabled',
  'lmtp_host_lookup = native',
  'in_flow_delay = 0',
  'max_use = 1000',
];

export function postfixSummary(profile: PeerProfile): string {
  return profile !== 'tuned'
    ? 'Postfix stock (defaults), queue file fsynced before 250, LMTP to Dovecot'
    : `Postfix tuned: ${TUNED.map((l) => l.replace(' = ', '=')).join(', ')}; queue file fsynced before 250`;
}

/** Implicit TLS (SMTPS, `smtpd_tls_wrappermode`) with the run's certificate, or clear text. */
function tlsSettings(tls: TlsFiles | undefined): string {
  if (!tls) return 'smtpd_tls_security_level = none';
  return `smtpd_tls_security_level = encrypt
smtpd_tls_wrappermode = yes
smtpd_tls_cert_file = ${tls.certPath}
smtpd_tls_key_file = ${tls.keyPath}`;
}

function mainCf(root: string, dovecot: DovecotServer, profile: PeerProfile, tls: TlsFiles | undefined): string {
  return `# Written by bench/compare for one run.
compatibility_level = 3.6
queue_directory = ${root}/spool
data_directory = ${root}/lib
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.${DOMAIN}
mydomain = ${DOMAIN}
myorigin = ${DOMAIN}
mydestination =
mynetworks = 127.0.0.0/8
local_transport = error:no local delivery
alias_maps =
alias_database =
virtual_mailbox_domains = ${DOMAIN}
virtual_transport = lmtp:unix:${dovecot.lmtpSocket}
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${dovecot.authSocket}
smtpd_sasl_security_options = noanonymous
${tlsSettings(tls)}
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
maillog_file = ${root}/maillog
maillog_file_prefixes = ${root}
biff = no
${profile === 'tuned' ? `${TUNED.join('\n')}\n` : ''}`;
}

const MASTER_CF = (port: number): string => `# service type private unpriv chroot wakeup maxproc command
127.0.0.1:${port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

export async function startPostfix(root: string, port: number, dovecot: DovecotServer, profile: PeerProfile, tls?: TlsFiles): Promise<PostfixServer> {
  const etc = join(root, 'etc');
  await mkdir(etc, { recursive: true });
  // `postfix check` creates what is inside the queue directory, not the directory itself.
  await mkdir(join(root, 'spool'));
  await mkdir(join(root, 'lib'));
  await chown(join(root, 'lib'), postfixUid(), 0);
  await chmod(root, 0o755);
  await writeFile(join(etc, 'main.cf'), mainCf(root, dovecot, profile, tls));
  await writeFile(join(etc, 'master.cf'), MASTER_CF(port));
  const postfix = (...args: string[]): Promise<{ stdout: string; stderr: string }> => run('postfix', ['-c', etc, ...args]);
  await postfix('start');
  await waitFor(`Postfix listening on ${port}`, () => canConnect(port), 15_000);
  return {
    submissionPort: port,
    summary: postfixSummary(profile),
    pid: async () => Number((await readFile(join(root, 'spool', 'pid', 'master.pid'), 'utf8')).trim()),
    stop: async () => {
      await postfix('stop').catch(() => undefined);
    },
  };
}
