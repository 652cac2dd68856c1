// What an administrator must read before the first client connects, computed from the resolved
// configuration with the auth policy itself (src/auth/policy.ts) so the lines can never disagree with
// what the listeners do:
// - a warning for every listener that takes credentials in clear text (a James smtpserver.xml without
//   <requireSSL> does: James' SMTP default is false), and for every listener on which no login can
//   ever succeed (requireSSL without any TLS);
// - a warning when JMAP requires TLS for credentials but has none and trusts no TLS-terminating proxy;
// - one line per behaviour where Tessera is stricter than James under the same settings.
import { authPolicy } from '../auth/policy.js';
import type { AuthConfig, ImapServerConfig, JmapConfig, ManageSieveServerConfig, Pop3ServerConfig, SmtpServerConfig, TesseraConfig } from '../config/types.js';

export interface StartupLine {
  /** Where it comes from, e.g. "conf/smtpserver.xml, block 1 (smtpserver-global)" or "conf/jmap.properties". */
  where: string;
  message: string;
}

export interface StartupChecks {
  warnings: StartupLine[];
  /** Stricter than James: said once, naming every listener concerned. */
  notices: StartupLine[];
}

type Listener = ImapServerConfig | SmtpServerConfig | Pop3ServerConfig | ManageSieveServerConfig;

function credentials(auth: AuthConfig, decision: { passwordsAllowed: boolean; tokensAllowed: boolean }): string {
  if (decision.passwordsAllowed && decision.tokensAllowed) return 'passwords and bearer tokens';
  return decision.passwordsAllowed ? 'passwords' : auth.oidc ? 'bearer tokens' : 'credentials';
}

function requireSSLKey(l: Listener): string {
  return l.protocol === 'imap' ? '<auth><requireSSL> (legacy <plainAuthDisallowed>)' : '<auth><requireSSL>';
}

function jamesDefault(l: Listener): string {
  if (!l.auth.requireSSLDefaulted) return '';
  if (l.protocol === 'imap') return " (James' IMAP default, as neither <requireSSL> nor <plainAuthDisallowed> is written)";
  // James' POP3 has no such key and takes passwords in clear text; Tessera defaults to IMAP's rule.
  if (l.protocol === 'pop3') return " (Tessera's POP3 default, as <requireSSL> is not written)";
  if (l.protocol === 'managesieve') return " (Tessera's ManageSieve default, as <requireSSL> is not written)";
  return " (James' SMTP default, as <requireSSL> is not written)";
}

/** Whether the listener serves a login command at all (SMTP: its James handler chain loads AUTH). */
function servesLogin(l: Listener): boolean {
  return l.protocol !== 'smtp' || !l.disabledCommands.includes('AUTH');
}

function checkListener(l: Listener, out: StartupChecks, stricter: Map<string, string[]>): void {
  if (!servesLogin(l) || l.tls.socketTLS) return;
  const where = `${l.source} (${l.name})`;
  const clear = authPolicy({ auth: l.auth, secure: false });
  const anyCredential = l.auth.plainAuthEnabled || l.auth.oidc !== undefined;
  if (clear.passwordsAllowed || clear.tokensAllowed) {
    const when = l.tls.startTLS ? 'before STARTTLS' : 'on a listener without TLS';
    const fix = l.tls.startTLS
      ? `set ${requireSSLKey(l)} to true to take them only after STARTTLS`
      : `turn TLS on (<tls startTLS="true"> or socketTLS="true") and set ${requireSSLKey(l)} to true`;
    out.warnings.push({ where, message: `CLEAR-TEXT CREDENTIALS: takes ${credentials(l.auth, clear)} unencrypted ${when}: requireSSL is false${jamesDefault(l)}; ${fix}` });
    return;
  }
  if (!anyCredential) return;
  // An MX that never announces AUTH is not meant for logins: nothing to say there.
  if (!l.tls.startTLS && !(l.protocol === 'smtp' && l.announce === 'never')) {
    out.warnings.push({
      where,
      message: `no login can succeed here: requireSSL is true${jamesDefault(l)} but the listener has no TLS; turn TLS on (<tls startTLS="true"> or socketTLS="true"), or set ${requireSSLKey(l)} to false to take credentials in clear text`,
    });
    return;
  }
  if (!l.tls.startTLS) return;
  const message =
    l.protocol === 'smtp'
      ? 'under requireSSL, AUTH before STARTTLS is refused (538 5.7.11) for passwords and bearer tokens alike; James only leaves AUTH out of EHLO and still takes it'
      : l.protocol === 'pop3'
        ? l.auth.requireSSLDefaulted
          ? "POP3 takes USER/PASS and AUTH only after STLS (requireSSL defaults to true, as for IMAP); James' POP3 takes passwords in clear text"
          : undefined
        : l.protocol === 'managesieve'
        ? l.auth.requireSSLDefaulted
          ? "ManageSieve takes AUTHENTICATE only after STARTTLS (requireSSL defaults to true, as for IMAP); James' ManageSieve takes passwords in clear text"
          : undefined
        : l.auth.oidc
        ? 'under requireSSL, bearer tokens (OAUTHBEARER, XOAUTH2) also wait for STARTTLS; James takes them in clear text'
        : undefined;
  if (message) stricter.set(message, [...(stricter.get(message) ?? []), `${l.source} (${l.name})`]);
}

function checkJmap(j: JmapConfig, out: StartupChecks): void {
  if (!j.enabled || j.tls?.socketTLS) return;
  const basic = j.strategies.includes('basic') && j.auth.plainAuthEnabled;
  const bearer = (j.strategies.includes('jwt') || j.strategies.includes('oidc')) && j.auth.oidc !== undefined;
  if (!basic && !bearer) return;
  const what = basic && bearer ? 'Basic passwords and bearer tokens' : basic ? 'Basic passwords' : 'bearer tokens';
  if (!j.auth.requireSSL) {
    out.warnings.push({ where: j.source, message: `CLEAR-TEXT CREDENTIALS: JMAP takes ${what} over plain HTTP (auth.requireSSL=false); set tls.enabled=true, or put a TLS-terminating proxy in front and set auth.requireSSL=true` });
    return;
  }
  if (j.xUser.trustedProxies.length > 0) return;
  out.warnings.push({
    where: j.source,
    message:
      `JMAP has no TLS (tls.enabled is not true) and requires it for credentials (auth.requireSSL), so ${what} work only through a TLS-terminating proxy on this host sending X-Forwarded-Proto: https; ` +
      "clients connecting directly get 401 (James takes them over plain HTTP). Set tls.enabled=true, or list your proxy in authentication.strategy.rfc8621.xUser.trustedProxies, or set auth.requireSSL=false to take them in clear text",
  });
}

export function startupChecks(config: TesseraConfig): StartupChecks {
  const out: StartupChecks = { warnings: [], notices: [] };
  const stricter = new Map<string, string[]>();
  for (const l of [...config.smtp, ...config.imap, ...config.pop3, ...config.managesieve]) if (l.enabled) checkListener(l, out, stricter);
  checkJmap(config.jmap, out);
  for (const [message, where] of stricter) out.notices.push({ where: where.join('; '), message });
  return out;
}
