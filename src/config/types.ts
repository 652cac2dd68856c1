// The resolved configuration model: what the James-layout files in a conf directory mean, after
// legacy names are mapped, defaults applied and values validated. Every module reads its settings
// from here, never from raw XML/properties, so the mapping of old names lives in one place.

export interface HostPort {
  host: string;
  port: number;
}

/** TLS material for one listener. Paths are already read: the loader fails at start-up if unreadable. */
export interface TlsConfig {
  /** Implicit TLS on connect (IMAPS 993, SMTPS 465). */
  socketTLS: boolean;
  /** STARTTLS offered on a clear connection. */
  startTLS: boolean;
  /** PEM private key + certificate chain, or a PKCS#12 bundle with its passphrase. */
  key?: Buffer;
  cert?: Buffer;
  pfx?: Buffer;
  passphrase?: string;
  /** True when no material was configured and the server's generated self-signed certificate is used. */
  selfSigned: boolean;
  /** James <supportedProtocols>: the TLS versions offered (default TLS 1.2 to 1.3). */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /**
   * The configured keystore does not exist yet (first start of a James conf/): `tessera serve` creates
   * it, self-signed, as PKCS#12 with this passphrase, and fills in `pfx`. `key` names the setting.
   */
  generateKeystore?: { path: string; key: string; passphrase: string };
}

/** RFC 7662 token introspection endpoint. */
export interface IntrospectionConfig {
  url: string;
  /** Value of the Authorization header sent to the endpoint (e.g. "Basic base64(client:secret)"). */
  auth?: string;
}

export interface OidcConfig {
  /** JWKS endpoint; when absent, the jwks_uri of the discovery document is used. */
  jwksURL?: string;
  /** Discovery document URL (.well-known/openid-configuration). Also sent in OAUTHBEARER error challenges. */
  oidcConfigurationURL?: string;
  /** Expected `iss`; taken from the discovery document when not set. */
  issuer?: string;
  /** Token claim that names the mail user (James default: "email_address"). */
  claim: string;
  /** Scope required in the token and announced in error challenges. */
  scope?: string;
  /** Accepted audiences; empty = audience not checked. */
  aud: string[];
  /** Tessera's client id at the provider (back-channel logout `aud`). */
  clientId?: string;
  introspection?: IntrospectionConfig;
  /**
   * OIDC userinfo endpoint. In the XML `<oidc>` blocks it is asked only when no introspection is
   * configured (James' SASL); jmap.properties sets `withIntrospection`, because James' JMAP
   * OidcAuthenticationStrategy asks both and takes the user from userinfo.
   */
  userinfo?: { url: string; withIntrospection?: boolean };
  /** Seconds between re-introspections of live token sessions (revocation issue); 0 = off. */
  revalidateInterval: number;
  /** Validation result cache (jmap.properties `oidc.token.cache.*`); absent = the validator's defaults. */
  cache?: { ttlMs?: number; maxEntries?: number };
}

export interface AuthConfig {
  /** PLAIN/LOGIN (and JMAP Basic) accepted at all. */
  plainAuthEnabled: boolean;
  /** Passwords only over TLS (legacy IMAP `plainAuthDisallowed`). */
  requireSSL: boolean;
  /** Set when requireSSL was not written and James' default for the protocol applies. */
  requireSSLDefaulted?: true;
  oidc?: OidcConfig;
}

export type TokenExpiryPolicy = { action: 'ignore' } | { action: 'disconnect'; graceSeconds: number };

/** Settings every imapserver/smtpserver block has (read by config/listener.ts). */
export interface ListenerCommon {
  /** Stable name for logs: the block's `jmxName` or `<protocol>-<index>`. */
  name: string;
  enabled: boolean;
  bind: HostPort[];
  /** Tessera (LMTP): a Unix domain socket path listened on besides (or instead of) <bind>. */
  unixSocket?: string;
  tls: TlsConfig;
  /** 0 = unlimited. */
  connectionLimit: number;
  connectionLimitPerIP: number;
  /** James' <proxyRequired>: connections arrive through a load balancer speaking the PROXY protocol. */
  proxyRequired: boolean;
  /** Set by the loader when proxyRequired: tessera.properties' proxy.* (who may send the header, how fast). */
  proxy?: ProxyProtocolConfig;
  helloName: string;
  auth: AuthConfig;
  /** Seconds of inactivity before the server closes the connection. */
  timeout: number;
  tokenExpiry: TokenExpiryPolicy;
  /** Where the configuration came from, for error messages: e.g. "conf/imapserver.xml, block 2". */
  source: string;
}

export interface ImapServerConfig extends ListenerCommon {
  protocol: 'imap';
  /** Longest command line accepted (bytes). */
  maxLineLength: number;
  /**
   * Largest literal accepted (bytes); larger ones are refused before their bytes are read.
   * James' "0 = unlimited" arrives here as Number.MAX_SAFE_INTEGER, so consumers just compare.
   */
  maxLiteralSize: number;
  /**
   * Before authentication, the longest line and the largest literal accepted (bytes): only what
   * LOGIN or AUTHENTICATE can need. Larger literal announcements are refused unread.
   */
  preAuthSizeLimit: number;
}

export interface Pop3ServerConfig extends ListenerCommon {
  protocol: 'pop3';
  /** Longest command line accepted (bytes), AUTH lines with a bearer token included. */
  maxLineLength: number;
}

export interface ManageSieveServerConfig extends ListenerCommon {
  protocol: 'managesieve';
  /** Longest command line accepted (bytes), AUTHENTICATE lines with a bearer token included. */
  maxLineLength: number;
  /**
   * Largest script upload on this listener (James `<maxmessagesize>`, kilobytes; 0 = the account's
   * limit, sieve.maxScriptSize, alone).
   */
  maxScriptUpload: number;
}

export type AnnounceMode = 'always' | 'forUnauthorizedAddresses' | 'never';

/**
 * James' `verifyIdentity` (SMTPConfiguration.SenderVerificationMode): `strict` (James' default, also
 * spelled `true`), `relaxed`, `disabled` (also `false`). See src/smtp/sender-rules.ts for what each does.
 */
export type SenderVerificationMode = 'strict' | 'relaxed' | 'disabled';

export interface SmtpServerConfig extends ListenerCommon {
  protocol: 'smtp';
  /** When EHLO advertises AUTH (James rules). */
  announce: AnnounceMode;
  /**
   * James `<auth><required>`: MAIL FROM before AUTH is refused with 530 (submission listeners), unless
   * the peer is in authorizedAddresses (James: "authorized networks bypass SMTP AUTH requirements").
   */
  authRequired: boolean;
  /** Relay to non-local domains requires authentication unless the peer is in authorizedAddresses. */
  requireAuthForRelay: boolean;
  /** Peers (CIDRs) allowed to relay without authentication. */
  authorizedAddresses: string[];
  /** Who may use a local address as sender (MAIL FROM and the From: header), James' modes. */
  verifyIdentity: SenderVerificationMode;
  /** Bytes; 0 = unlimited. */
  maxMessageSize: number;
  maxRecipients: number;
  maxLineLength: number;
  /**
   * Upper-case SMTP verbs this listener's James <handlerchain> does not load (today only AUTH, under
   * NoAuthCmdHandlerLoader): answered 502 and never announced. Empty = every command.
   */
  disabledCommands: string[];
  /**
   * Set on an lmtpserver.xml block: the session speaks LMTP (RFC 2033): LHLO instead of EHLO/HELO,
   * local recipients only, one reply per recipient after the message.
   */
  lmtp?: true;
}

export type JmapStrategyName = 'basic' | 'jwt' | 'oidc' | 'xuser';

export interface JmapConfig {
  enabled: boolean;
  bind: HostPort;
  /** Public base URL used in the session resource (James `url.prefix`); empty: from the request's Host header. */
  urlPrefix: string;
  /** Tried in order (James `authentication.strategy.rfc8621`). */
  strategies: JmapStrategyName[];
  auth: AuthConfig;
  xUser: {
    headerName: string;
    /** CIDRs whose TCP peers may send the identity header; empty = any peer that knows a secret. */
    trustedProxies: string[];
    /**
     * Accepted values of X-User-Secret; empty = no secret required (trusted proxies are then). The
     * configuration never lets both be empty: anyone could claim any identity.
     */
    secrets: string[];
  };
  tls?: TlsConfig;
  /** `jmap.proxyRequired`: connections arrive through a load balancer speaking the PROXY protocol. */
  proxyRequired: boolean;
  /** Set by the loader when proxyRequired: tessera.properties' proxy.*. */
  proxy?: ProxyProtocolConfig;
  maxSizeUpload: number;
  maxConcurrentUpload: number;
  maxSizeRequest: number;
  maxConcurrentRequests: number;
  maxCallsInRequest: number;
  maxObjectsInGet: number;
  maxObjectsInSet: number;
  tokenExpiry: TokenExpiryPolicy;
  /** PushSubscription delivery (RFC 8620 §7.2); unset fields take the JMAP server's defaults. */
  webPush?: {
    /** webpush.prevent.server.side.request.forgery=false (James' key): http:// and private addresses allowed. */
    allowPrivate?: boolean;
    /** webpush.subscription.maxExpiry (Tessera): the furthest expiry a subscription gets, seconds. */
    maxExpirySeconds?: number;
  };
  source: string;
}

export interface LdapUsersConfig {
  kind: 'ldap';
  ldapHost: string[];
  principal?: string;
  credentials?: string;
  userBase: string;
  userIdAttribute: string;
  userObjectClass: string;
  filter?: string;
  /** Milliseconds, as in James; 0 = no timeout (James' -1). */
  connectionTimeout: number;
  /** Milliseconds, as in James; 0 = no timeout (James' -1). */
  readTimeout: number;
  /** Upgrade ldap:// connections with StartTLS (Tessera's addition; not allowed with ldaps://). */
  startTLS: boolean;
  enableVirtualHosting: boolean;
  /**
   * James' `<restriction memberAttribute="…"><group>DN</group>…</restriction>`: only members of at
   * least one group are users (their DN among the group's `memberAttribute` values).
   */
  restriction?: { memberAttribute: string; groups: string[] };
  /** James' resolveLocalPartAttribute: a name without `@` is looked up in this attribute instead. */
  resolveLocalPartAttribute?: string;
  /**
   * Tessera's `<groups base="…" memberAttribute="member" nameAttribute="cn" filter="…"/>`: the groups
   * ACL identifiers "$name" stand for are the entries under `base` (matching `filter`) whose
   * `memberAttribute` holds the user's DN, named by their `nameAttribute`. Absent: users are in no group.
   */
  groups?: { base: string; memberAttribute: string; nameAttribute: string; filter?: string };
  /** James' administratorId(s): users who may log in as any other user (SASL PLAIN authzid). */
  administratorIds?: string[];
}

export interface EmbeddedUsersConfig {
  kind: 'embedded';
  enableVirtualHosting: boolean;
  /** Password hashing: scrypt parameters are fixed in code; named here for James' `algorithm` key. */
  algorithm: string;
  /** James' administratorId(s): users who may log in as any other user (SASL PLAIN authzid). */
  administratorIds?: string[];
}

export type UsersRepositoryConfig = EmbeddedUsersConfig | LdapUsersConfig;

export interface DomainListConfig {
  /** Lower-case; an explicitly configured defaultDomain is included, as James adds it at start-up. */
  domainnames: string[];
  defaultDomain: string;
  /** James' <autodetect>: the machine's host name is a local domain too (default false, as in James). */
  autodetect?: boolean;
  /** James' <autodetectIP>: the addresses every local domain resolves to are local domains too. */
  autodetectIP?: boolean;
  /**
   * Names and addresses found at start-up from autodetect/autodetectIP (never read from a file):
   * local domains for as long as the server runs, not stored.
   */
  detected?: string[];
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Settings James has no file for: conf/tessera.properties. */
/**
 * A relay host for all remote mail (mailetcontainer.xml RemoteDelivery `gateway`…): hosts tried in
 * order, implicit TLS (`sslEnable`), credentials, and whether STARTTLS with a verified certificate is
 * required (`startTLS`, or always when credentials are set).
 */
export interface SmarthostSettings {
  hosts: Array<{ host: string; port: number }>;
  secure: boolean;
  auth?: { user: string; pass: string };
  requireTls: boolean;
}

/** tessera.properties proxy.*: PROXY protocol headers, for the listeners with <proxyRequired>. */
export interface ProxyProtocolConfig {
  /** `proxy.trustedNetworks`: the load balancers' addresses (CIDRs); empty = none trusted. */
  trustedNetworks: string[];
  /** `proxy.headerTimeout`: how long the header may take after the connection opens (default 5 s). */
  headerTimeoutMs: number;
}

export interface TesseraSettings {
  /** Absolute path of the data directory (default ./var next to the conf directory's parent cwd). */
  dataDir: string;
  /**
   * `storage.engine`. PostgreSQL: `storage.postgres.url`, `storage.postgres.poolSize` (connections
   * per node, default 10) and `storage.postgres.schema`, or James' postgres.properties.
   */
  storage: { engine: 'sqlite' } | { engine: 'postgres'; url: string; poolSize: number; schema?: string };
  /**
   * `storage.ingest.memory`: memory the store may spend reading arriving messages (SMTP, IMAP APPEND,
   * JMAP uploads) back from their spool files and parsing them at once, across the process, each
   * counted at PARSE_PEAK_FACTOR bytes per message byte. Default 16 MiB; a message needing more is
   * parsed alone.
   */
  ingestMemory?: number;
  logLevel: LogLevel;
  /** Start the development OpenID provider (sample conf only). */
  /** `issuer` is absent only with port 0 and none configured: then it names the port bound. */
  devIdp: { enabled: boolean; port: number; issuer?: string };
  /** Seconds that in-flight commands get to finish on SIGTERM. */
  shutdownTimeout: number;
  proxy: ProxyProtocolConfig;
  /** Demo domain/user created on first start when the users repository is empty. */
  seedDemoUser: boolean;
  /**
   * `server.processes`: server processes sharing every listener (1 = this process serves alone;
   * `auto` = one per core). With more than one, `tessera serve` supervises that many workers.
   */
  processes: number;
  /**
   * Local user who receives mail for `postmaster` and `postmaster@<local domain>` when no such user
   * exists (RFC 5321 §4.5.1: an MX must accept it): tessera.properties `postmaster`, else James'
   * mailetcontainer.xml `<context><postmaster>`; always with a domain. Unset: postmaster@<defaultDomain>.
   */
  postmaster?: string;
  /** mailetcontainer.xml RemoteDelivery gateway: remote mail goes there instead of to the MX hosts. */
  smarthost?: SmarthostSettings;
  /**
   * `vacation.resendInterval`: how long one vacation reply to a sender stands before a new message
   * from them is answered again (RFC 3834 §2 suggests days; default 7 days).
   */
  vacationResendAfterMs?: number;
  /** `ldap.cacheTtl`: how long an LDAP user lookup is reused (default 30 s; 0 turns the cache off). */
  ldapCacheTtlMs?: number;
  /**
   * `outbound.delayWarning`: how long a message waits in the queue before senders who asked for delay
   * notices (RFC 3461 NOTIFY=DELAY, or no NOTIFY) get one (default 4h; 0 = never; Postfix's delay_warning_time).
   */
  delayWarningMs?: number;
  /**
   * `outbound.leaseTime`: how long a node's claim on a queued message lasts without renewal (default
   * 60s, renewed every third of it while delivering): after a node dies, others retry its messages then.
   */
  outboundLeaseMs?: number;
  /** `outbound.pollInterval`: how often a node looks for due queued messages besides its own (default 30s). */
  outboundPollMs?: number;
  /** Sieve scripts per account (`sieve.*`), the same for ManageSieve and JMAP (0 = no limit of ours). */
  sieve: SieveQuotaSettings;
}

/** tessera.properties `sieve.maxScripts` / `sieve.maxScriptSize`: what one account may store. */
export interface SieveQuotaSettings {
  /** Scripts an account may hold (ManageSieve QUOTA/MAXSCRIPTS, JMAP maxNumberScripts); 0 = unlimited. */
  maxScripts: number;
  /** Largest script in octets (QUOTA/MAXSIZE, JMAP maxSizeScript); at most the interpreter's bound. */
  maxScriptSize: number;
}

/**
 * tessera.properties `auth.throttle.*`: failed-login throttling shared by every protocol (see
 * src/auth/throttle and the README). Keys not set take the defaults of src/auth/throttle/settings.ts.
 */
export interface AuthThrottleConfig {
  /** Failures per address + user name answered without delay. */
  userFreeFailures: number;
  /** Failures per address + user name that block that pair for `blockMs`. */
  userBlockAfter: number;
  /** Failures per address (against any names) answered without delay. */
  addressFreeFailures: number;
  /** Failures per address that block the address for `blockMs`. */
  addressBlockAfter: number;
  /** Delay of the first failure past the free ones; doubles with each further failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  blockMs: number;
  /** A key with no failure for this long starts over. */
  windowMs: number;
  /** Most keys remembered; the least recently used are dropped past it. */
  maxEntries: number;
  /** IPv6 clients are counted per network of this prefix length. */
  ipv6Prefix: number;
}

/** dnsservice.xml: where SPF, DKIM, DMARC and ARC lookups go (see dnsservice.ts). */
export interface DnsConfig {
  /** node:dns `setServers` entries (IP, or IP:port); empty = the system's only. */
  servers: string[];
  /** Also ask the system's resolvers (James' `<autodiscover>`), after `servers`. */
  useSystem: boolean;
}

/**
 * What a DMARC policy of the sender's domain makes us do with a failing message: `policy` follows it
 * (reject → 550, quarantine → Junk), `quarantine` never rejects (reject becomes quarantine), `none`
 * only records the result in Authentication-Results.
 */
export type DmarcEnforcement = 'policy' | 'quarantine' | 'none';

/** A DKIM signing key named by James' DKIMSign mailet (mailetcontainer.xml). */
export interface DkimMailetKey {
  /** d= and s= of the mailet's signatureTemplate. */
  domain: string;
  selector: string;
  /** h= of the signatureTemplate: the header fields to sign (undefined = Tessera's list). */
  headers?: string[];
  /** PEM text of the private key (inline <privateKey>, or the file <privateKeyFilepath> names). */
  pem: string;
  passphrase?: string;
  /** Where it was configured, for start-up errors: file and key. */
  file: string;
  key: string;
}

/** Mail authentication (tessera.properties `mailauth.*`, `dkim.*`, `dmarc.*`; dnsservice.xml; DKIMSign). */
export interface MailAuthConfig {
  /** RFC 8601 authserv-id of our Authentication-Results (default: the first SMTP listener's helloName). */
  authservId?: string;
  /** Verify SPF, DKIM, DMARC and ARC on mail from unauthenticated, unauthorized clients (default true). */
  inbound: boolean;
  dmarcEnforcement: DmarcEnforcement;
  /** Only these selectors of the data directory's keys sign (undefined = every key found). */
  dkimSelectors?: string[];
  /** Header fields signed with the data directory's keys (undefined = mailauth's default list). */
  dkimHeaders?: string[];
  /** Keys of James' DKIMSign mailets. */
  dkimMailetKeys: DkimMailetKey[];
  dns: DnsConfig;
}

/** tessera.properties `control.http.*` (see control.ts). */
export interface ControlConfig {
  http: {
    /** true/false as configured; 'auto' = only when JMAP is off and a listener takes OIDC tokens. */
    enabled: boolean | 'auto';
    bind: HostPort;
  };
}

/** webadmin.properties: the WebAdmin REST API listener (src/webadmin). */
export interface WebAdminConfig {
  enabled: boolean;
  bind: HostPort;
  /** https.enabled with https.keystore/https.password; absent = plain HTTP. */
  tls?: TlsConfig;
  /** James' JWT admin tokens: RS256 signed by one of these PEM public keys, with `admin: true`. */
  jwt: { enabled: boolean; publicKeys: string[] };
  /** Tokens of the configured OpenID provider whose user is a usersrepository.xml administrator. */
  oidc: { enabled: boolean };
  cors: { enabled: boolean; origin: string };
  /** The file, for messages. */
  source: string;
}

/** tessera.properties `discovery.*` (see discovery.ts): what client discovery documents announce. */
export interface DiscoveryConfig {
  /** Serve autoconfig, autodiscover and the OAuth metadata (default true). */
  enabled: boolean;
  /** Public host name of every listener; default: each listener's own helloName. */
  hostname?: string;
  /** Shown by clients as the provider's name; default: the mail domain. */
  displayName?: string;
  /** OAuth client_id registered at the provider for native mail apps (public client, no secret). */
  clientId?: string;
  /** OAuth scopes a mail app asks for; default: the listener's `oidc` scope, else openid email offline_access. */
  scopes?: string[];
}

export interface TesseraConfig {
  confDir: string;
  settings: TesseraSettings;
  /** The control HTTP listener (back-channel logout without JMAP). */
  control: ControlConfig;
  /** Failed-login throttling: only the `auth.throttle.*` keys that were set. */
  authThrottle: Partial<AuthThrottleConfig>;
  /** Client discovery (autoconfig, autodiscover, OAuth metadata, SRV records). */
  discovery: DiscoveryConfig;
  imap: ImapServerConfig[];
  smtp: SmtpServerConfig[];
  /** lmtpserver.xml blocks: the SMTP adapter in its LMTP dialect (`lmtp: true`). */
  lmtp: SmtpServerConfig[];
  /** pop3server.xml blocks. */
  pop3: Pop3ServerConfig[];
  /** managesieveserver.xml blocks. */
  managesieve: ManageSieveServerConfig[];
  jmap: JmapConfig;
  webadmin: WebAdminConfig;
  users: UsersRepositoryConfig;
  domains: DomainListConfig;
  mailAuth: MailAuthConfig;
}
