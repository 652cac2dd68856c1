// Settings shared by every imapserver/smtpserver block: identity, addresses, TLS, limits, auth and
// the token-expiry policy. Protocol-specific keys are read by imap.ts and smtp.ts.
import { hostname } from 'node:os';
import { resolveAliases, type Candidate } from './aliases.js';
import { readAuth } from './auth-xml.js';
import type { FileContext } from './context.js';
import { loadTls } from './tls.js';
import type { ListenerCommon, TlsConfig, TokenExpiryPolicy } from './types.js';
import { parseBoolean, parseEnum, parseHostPortList, parseInteger } from './values.js';
import type { XmlSection } from './xml.js';

/** Seconds a session may outlive its token before it is closed (clients need time to refresh). */
export const DEFAULT_TOKEN_GRACE_SECONDS = 60;
export const DEFAULT_TOKEN_EXPIRY: TokenExpiryPolicy = { action: 'disconnect', graceSeconds: DEFAULT_TOKEN_GRACE_SECONDS };

export interface CommonOptions {
  protocol: 'imap' | 'smtp' | 'lmtp' | 'pop3' | 'managesieve';
  index: number;
  defaultTimeout: number;
  legacyRequireSSL?: Candidate<boolean>;
  /** requireSSL when not written: James' default for the protocol (IMAP true, SMTP false). */
  requireSSLDefault: boolean;
  /** The auth sections, read once by the caller because protocol keys live there too. */
  authSections: XmlSection[];
  /** The block listens elsewhere too (an LMTP <unixSocket>): <bind> may be left out. */
  bindOptional?: boolean;
}

export async function readCommon(block: XmlSection, opts: CommonOptions): Promise<ListenerCommon> {
  const ctx: FileContext = block.ctx;
  const enabledAttr = block.attr('enabled');
  const enabled = enabledAttr ? ctx.parse(enabledAttr.key, enabledAttr.raw, parseBoolean) : true;
  const name = block.text('jmxName')?.raw ?? `${opts.protocol}-${opts.index}`;

  const bindRaw = block.text('bind');
  if (!bindRaw && opts.bindOptional !== true) {
    const example = { imap: '0.0.0.0:143', smtp: '0.0.0.0:25', lmtp: '127.0.0.1:24', pop3: '0.0.0.0:110', managesieve: '0.0.0.0:4190' }[opts.protocol];
    ctx.fail(block.childKey('bind'), '', `every block needs <bind>host:port</bind>, e.g. <bind>${example}</bind>`, 'missing');
  }
  const bind = bindRaw ? ctx.parse(bindRaw.key, bindRaw.raw, parseHostPortList) : [];

  const proxyRequired = readProxyRequired(block);
  const tls = await readTls(block, enabled);
  const count = (key: string): number => {
    const v = block.text(key);
    return v ? ctx.parse(v.key, v.raw, (raw) => parseInteger(raw, 0)) : 0;
  };
  const connectionLimit = count('connectionLimit');
  const connectionLimitPerIP = count('connectionLimitPerIP');
  const helloName = readHelloName(block);
  // James calls it <connectiontimeout>; some James IMAP samples write <timeout>. Both mean the same.
  const timeout =
    resolveAliases(ctx, [
      { value: block.text('connectiontimeout'), parse: (raw) => parseInteger(raw, 1) },
      { value: block.text('timeout'), parse: (raw) => parseInteger(raw, 1) },
    ])?.value ?? opts.defaultTimeout;
  const auth = readAuth(block, opts.authSections, { requireSSL: opts.requireSSLDefault, ...(opts.legacyRequireSSL ? { legacyRequireSSL: opts.legacyRequireSSL } : {}) });
  const tokenExpiry = readTokenExpiry(block);
  return {
    name,
    enabled,
    bind,
    tls,
    connectionLimit,
    connectionLimitPerIP,
    proxyRequired,
    helloName,
    auth,
    timeout,
    tokenExpiry,
    source: `${ctx.display}, block ${opts.index}`,
  };
}

async function readTls(block: XmlSection, enabled: boolean): Promise<TlsConfig> {
  const ctx = block.ctx;
  const sec = block.child('tls');
  if (!sec) return { socketTLS: false, startTLS: false, selfSigned: false };
  const flag = (name: string): boolean => {
    const v = sec.attr(name);
    return v ? ctx.parse(v.key, v.raw, parseBoolean) : false;
  };
  const socketTLS = flag('socketTLS');
  const startTLS = flag('startTLS');
  if (!enabled) {
    // A disabled block's certificates are not loaded: a stale path there must not stop the server.
    sec.consumeAll();
    return { socketTLS, startTLS, selfSigned: false };
  }
  // Client certificates, versions and suites only matter with TLS on (as in James' SslConfig).
  const restrictions = socketTLS || startTLS ? readTlsRestrictions(sec) : ignoreTlsRestrictions(sec);
  const loaded = await loadTls(ctx, {
    socketTLS,
    startTLS,
    privateKey: sec.text('privateKey'),
    certificates: sec.text('certificates'),
    keystore: sec.text('keystore'),
    keystoreType: sec.text('keystoreType'),
    secret: sec.text('secret'),
    names: { keystore: '<keystore>', keystoreType: '<keystoreType>', privateKey: '<privateKey>', certificates: '<certificates>' },
    blockKey: sec.key,
  });
  return { ...loaded, ...restrictions };
}

const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

function ignoreTlsRestrictions(sec: XmlSection): Record<string, never> {
  for (const name of ['clientAuth', 'supportedCipherSuites', 'supportedProtocols']) sec.child(name)?.consumeAll();
  return {};
}

/**
 * What James' <tls> says about who may connect and how: client certificates (<clientAuth>, any
 * content: James then NEEDs one), protocol versions and cipher suites. Tessera serves TLS 1.2 and 1.3
 * with OpenSSL's suites and no client certificates; what it cannot honour stops the start, because
 * ignoring it would let in clients the operator meant to keep out.
 */
function readTlsRestrictions(sec: XmlSection): Pick<TlsConfig, 'minVersion' | 'maxVersion'> {
  const ctx = sec.ctx;
  const clientAuth = sec.child('clientAuth');
  if (clientAuth) {
    clientAuth.consumeAll();
    ctx.fail(clientAuth.key, '', 'Tessera does not ask clients for certificates; remove <clientAuth> (clients then log in with passwords or tokens), or keep this listener on James', 'client certificates not supported');
  }
  const suites = sec.child('supportedCipherSuites');
  if (suites) {
    suites.consumeAll();
    ctx.fail(suites.key, '', "Tessera uses OpenSSL's cipher suites for TLS 1.2 and 1.3 (no export, RC4, 3DES or CBC-SHA1 suites); remove <supportedCipherSuites>", 'cipher suite lists not supported');
  }
  const protocols = sec.child('supportedProtocols');
  if (!protocols) return {};
  const versions = protocols.children('protocol').map((p) => {
    p.consumeAll();
    const v = p.el.text;
    if (!(TLS_VERSIONS as readonly string[]).includes(v)) ctx.fail(p.key, v, `Tessera serves ${TLS_VERSIONS.join(' and ')} only; list those (or remove <supportedProtocols>)`, 'TLS version not supported');
    return v as (typeof TLS_VERSIONS)[number];
  });
  if (versions.length === 0) ctx.fail(protocols.key, '', `list at least one <protocol>: ${TLS_VERSIONS.join(', ')}`, 'empty');
  const sorted = TLS_VERSIONS.filter((v) => versions.includes(v));
  return { minVersion: sorted[0]!, maxVersion: sorted[sorted.length - 1]! };
}

/**
 * James' PROXY protocol switch, <proxyRequired> (or <useHAProxy>, also read silently): every connection to the block
 * starts with a PROXY header from a load balancer. Who may send one is tessera.properties'
 * proxy.trustedNetworks, checked across files by load.ts.
 */
function readProxyRequired(block: XmlSection): boolean {
  return (
    resolveAliases(block.ctx, [
      { value: block.text('proxyRequired'), parse: parseBoolean },
      { value: block.text('useHAProxy'), parse: parseBoolean },
    ])?.value ?? false
  );
}

/** James semantics: autodetect (the default) uses the machine's host name. */
function readHelloName(block: XmlSection): string {
  const ctx = block.ctx;
  const sec = block.child('helloName');
  if (!sec) return hostname();
  const auto = sec.attr('autodetect');
  const text = sec.el.text;
  const autodetect = auto ? ctx.parse(auto.key, auto.raw, parseBoolean) : text === '';
  if (autodetect) {
    if (text !== '') ctx.warn(sec.key, `autodetect="true" uses the host name "${hostname()}"; the name "${text}" is ignored (set autodetect="false" to use it)`);
    return hostname();
  }
  if (text === '') ctx.fail(sec.key, '', 'with autodetect="false" give the name, e.g. <helloName autodetect="false">mail.example.com</helloName>', 'missing');
  return text;
}

function readTokenExpiry(block: XmlSection): TokenExpiryPolicy {
  const ctx = block.ctx;
  const sec = block.child('tokenExpiry');
  if (!sec) return DEFAULT_TOKEN_EXPIRY;
  const actionRaw = sec.attr('action');
  const action = actionRaw ? ctx.parse(actionRaw.key, actionRaw.raw, (raw) => parseEnum(raw, ['disconnect', 'ignore'] as const)) : 'disconnect';
  const graceRaw = sec.attr('grace');
  const grace = graceRaw ? ctx.parse(graceRaw.key, graceRaw.raw, (raw) => parseInteger(raw, 0)) : DEFAULT_TOKEN_GRACE_SECONDS;
  if (action === 'ignore') {
    if (graceRaw) ctx.warn(graceRaw.key, 'grace has no effect with action="ignore"');
    return { action };
  }
  return { action, graceSeconds: grace };
}

/**
 * Connection limits when a block sets none (James: unlimited), said once as a notice naming the
 * protocol (`label`): every listener file applies its own figures through this.
 */
export function applyConnectionDefaults(block: XmlSection, common: ListenerCommon, label: string, defaults: { total: number; perIP: number }): void {
  const ctx = block.ctx;
  if (!block.text('connectionLimit')) {
    common.connectionLimit = defaults.total;
    ctx.notice(block.childKey('connectionLimit'), `not set: at most ${defaults.total} connections per ${label} listener (James: unlimited); write 0 for unlimited`);
  }
  if (!block.text('connectionLimitPerIP')) {
    common.connectionLimitPerIP = defaults.perIP;
    ctx.notice(block.childKey('connectionLimitPerIP'), `not set: at most ${defaults.perIP} ${label} connections per client address (James: unlimited); write 0 for unlimited`);
  }
}
