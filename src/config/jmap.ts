// jmap.properties → JmapConfig. James' keys where James has them (enabled, jmap.port, url.prefix,
// authentication.strategy.rfc8621, xUser.secret, upload.max.size, get.max.size, set.max.size,
// oidc.*), Tessera's own for the rest (documented in conf/jmap.properties).
import { resolveAliases } from './aliases.js';
import { DEFAULT_OIDC_CLAIM, DEFAULT_REVALIDATE_SECONDS } from './auth-xml.js';
import type { FileContext } from './context.js';
import { DEFAULT_TOKEN_EXPIRY, DEFAULT_TOKEN_GRACE_SECONDS } from './listener.js';
import { PropertiesReader } from './properties.js';
import { loadTls } from './tls.js';
import type { AuthConfig, JmapConfig, JmapStrategyName, OidcConfig, TlsConfig, TokenExpiryPolicy } from './types.js';
import { InvalidValue, parseBoolean, parseCidrList, parseEnum, parseHost, parseInteger, parseJamesDuration, parsePort, parseSeconds, parseSize, parseUrl, splitList } from './values.js';

/** James' default port. */
export const DEFAULT_JMAP_PORT = 80;
/**
 * Unlike James (0.0.0.0), JMAP listens on loopback unless jmap.host says otherwise: JMAP is usually
 * published through a reverse proxy, and an HTTP API should not appear on every interface by accident.
 */
export const DEFAULT_JMAP_HOST = '127.0.0.1';
export const DEFAULT_XUSER_HEADER = 'X-User';

export const JMAP_LIMIT_DEFAULTS = {
  maxSizeUpload: 50 * 1024 * 1024,
  maxConcurrentUpload: 4,
  maxSizeRequest: 10 * 1024 * 1024,
  maxConcurrentRequests: 4,
  maxCallsInRequest: 16,
  maxObjectsInGet: 500,
  maxObjectsInSet: 500,
} as const;

const STRATEGY_KEY = 'authentication.strategy.rfc8621';
const STRATEGY_CLASSES: Record<string, JmapStrategyName> = {
  basic: 'basic',
  basicauthenticationstrategy: 'basic',
  jwt: 'jwt',
  jwtauthenticationstrategy: 'jwt',
  oidc: 'oidc',
  oidcauthenticationstrategy: 'oidc',
  xuser: 'xuser',
  'x-user': 'xuser',
  xuserauthenticationstrategy: 'xuser',
};

function parseStrategy(raw: string): JmapStrategyName {
  const v = raw.trim().toLowerCase();
  const short = v.startsWith('org.apache.james.jmap.http.') ? v.slice('org.apache.james.jmap.http.'.length) : v;
  const found = STRATEGY_CLASSES[short];
  if (!found) {
    throw new InvalidValue('allowed strategies: BasicAuthenticationStrategy, JWTAuthenticationStrategy, OidcAuthenticationStrategy, XUserAuthenticationStrategy (with or without org.apache.james.jmap.http., or basic, jwt, oidc, xuser)', 'unknown authentication strategy');
  }
  return found;
}

const IGNORED_JAMES_KEYS: ReadonlyMap<string, string> = new Map([
  ['tls.keystoreURL', 'in James it signs JMAP draft tokens; Tessera does not need it'],
  ['jwt.publickeypem.url', 'no JWTAuthenticationStrategy is listed in authentication.strategy.rfc8621'],
  ['oidc.token.cache.redis.command.timeout', 'Tessera keeps its token cache in memory'],
  ['websocket.url.prefix', 'derived from url.prefix'],
  ['websocket.ping.interval', ''],
  ['email.send.max.size', ''],
  ['max.size.attachments.per.mail', ''],
  ['upload.quota.limit', ''],
  ['view.email.query.enabled', ''],
  ['jmap.version.default', 'only RFC 8621 is served'],
  ['dynamic.jmap.prefix.resolution.enabled', ''],
  ['cassandra.filter.projection.activated', ''],
  ['delay.sends.enabled', ''],
  ['disabled.capabilities', ''],
  ['email.get.full.max.size', ''],
]);

export async function loadJmapFile(ctx: FileContext, text: string | undefined): Promise<JmapConfig> {
  const props = new PropertiesReader(ctx, text ?? '');
  const enabled = text === undefined ? false : (props.parse('enabled', parseBoolean) ?? true);
  const hostSet = props.parse('jmap.host', parseHost);
  const host = hostSet ?? DEFAULT_JMAP_HOST;
  const port = props.parse('jmap.port', parsePort) ?? DEFAULT_JMAP_PORT;
  if (enabled && hostSet === undefined) {
    ctx.notice('jmap.host', `not set: JMAP listens on ${DEFAULT_JMAP_HOST}:${port} only (James: every interface), for a reverse proxy on this host to publish; set jmap.host=0.0.0.0 to listen on every interface`);
  }

  const tls = await readJmapTls(ctx, props, enabled);
  const urlPrefix = props.parse('url.prefix', (raw) => parseUrl(raw).replace(/\/+$/, '')) ?? defaultUrlPrefix(host, port, tls !== undefined);

  const auth = readJmapAuth(ctx, props);
  refuseStaticJwtKey(ctx, props);
  refuseUserProvisioning(ctx, props);
  const strategies = readStrategies(ctx, props, auth);
  const xUser = readXUser(ctx, props, strategies);

  const limit = (key: string, fallback: number, parser: (raw: string) => number): number => props.parse(key, parser) ?? fallback;
  const size = (raw: string): number => parseSize(raw);
  const count = (raw: string): number => parseInteger(raw, 1);
  const d = JMAP_LIMIT_DEFAULTS;
  const config: JmapConfig = {
    enabled,
    bind: { host, port },
    urlPrefix,
    strategies,
    auth,
    xUser,
    ...(tls ? { tls } : {}),
    proxyRequired: props.parse('jmap.proxyRequired', parseBoolean) ?? false,
    maxSizeUpload: limit('upload.max.size', d.maxSizeUpload, size),
    maxConcurrentUpload: limit('upload.max.concurrent', d.maxConcurrentUpload, count),
    maxSizeRequest: limit('request.max.size', d.maxSizeRequest, size),
    maxConcurrentRequests: limit('request.max.concurrent', d.maxConcurrentRequests, count),
    maxCallsInRequest: limit('request.max.calls', d.maxCallsInRequest, count),
    maxObjectsInGet: limit('get.max.size', d.maxObjectsInGet, count),
    maxObjectsInSet: limit('set.max.size', d.maxObjectsInSet, count),
    tokenExpiry: readTokenExpiry(ctx, props),
    ...webPushSettings(props),
    source: ctx.display,
  };
  // James keeps the keystore password next to tls.keystoreURL; it belongs to that ignored key.
  if (props.has('tls.keystoreURL')) props.get('tls.secret');
  props.warnUnused(IGNORED_JAMES_KEYS);
  return config;
}

function defaultUrlPrefix(host: string, port: number, https: boolean): string {
  // Port 0 (ephemeral) is only known once bound: an empty prefix makes the server build its URLs
  // from the Host header the client used, instead of advertising an unreachable ":0".
  if (port === 0) return '';
  const scheme = https ? 'https' : 'http';
  const defaultPort = https ? 443 : 80;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${shownHost}${port === defaultPort ? '' : `:${port}`}`;
}

const TLS_KEYS = ['tls.privateKey', 'tls.certificates', 'tls.keystore', 'tls.keystoreType', 'tls.secret'] as const;

async function readJmapTls(ctx: FileContext, props: PropertiesReader, jmapEnabled: boolean): Promise<TlsConfig | undefined> {
  const on = props.parse('tls.enabled', parseBoolean) ?? false;
  if (!jmapEnabled) {
    // A disabled JMAP server's certificates are not loaded: a stale path must not stop the server.
    for (const key of TLS_KEYS) props.get(key);
    return undefined;
  }
  if (!on) {
    const material = props.get('tls.keystore') ?? props.get('tls.privateKey') ?? props.get('tls.certificates');
    if (material) ctx.warn(material.key, 'TLS material is configured but tls.enabled is not true, so JMAP serves plain HTTP');
    if (!props.has('tls.keystoreURL')) for (const key of TLS_KEYS) props.get(key);
    return undefined;
  }
  return loadTls(ctx, {
    socketTLS: true,
    startTLS: false,
    privateKey: props.get('tls.privateKey'),
    certificates: props.get('tls.certificates'),
    keystore: props.get('tls.keystore'),
    keystoreType: props.get('tls.keystoreType'),
    secret: props.get('tls.secret'),
    names: { keystore: 'tls.keystore', keystoreType: 'tls.keystoreType', privateKey: 'tls.privateKey', certificates: 'tls.certificates' },
    blockKey: 'tls',
  });
}

function readJmapAuth(ctx: FileContext, props: PropertiesReader): AuthConfig {
  const plainAuthEnabled = props.parse('auth.plainAuthEnabled', parseBoolean) ?? true;
  // James has no such key and takes Basic passwords and tokens over plain HTTP; Tessera requires TLS
  // (or a trusted proxy's X-Forwarded-Proto: https), and says so at start when JMAP has no TLS
  // (src/server/startup-checks.ts).
  const requireSSL = props.parse('auth.requireSSL', parseBoolean) ?? true;
  const oidc = readJmapOidc(ctx, props);
  return { plainAuthEnabled, requireSSL, ...(oidc ? { oidc } : {}) };
}

function readJmapOidc(ctx: FileContext, props: PropertiesReader): OidcConfig | undefined {
  // James' Redis cache timeout alone configures no OIDC (it is only read to be reported unused).
  if (!props.has('oidc.', ['oidc.token.cache.redis.'])) return undefined;
  const url = (raw: string): string => parseUrl(raw);
  const jwksURL = props.parse('oidc.jwksURL', url);
  const oidcConfigurationURL = props.parse('oidc.oidcConfigurationURL', url);
  // James' OidcAuthenticationStrategy spells them oidc.introspect.url / oidc.introspect.credentials;
  // Tessera's first proposal oidc.introspection.url / .auth (as the XML <introspection>). Both work.
  const introspectionUrl = resolveAliases(ctx, [
    { value: props.get('oidc.introspect.url'), parse: url },
    { value: props.get('oidc.introspection.url'), parse: url },
  ]);
  const introspectionAuth = resolveAliases(ctx, [
    { value: props.get('oidc.introspect.credentials'), parse: (raw: string) => raw },
    { value: props.get('oidc.introspection.auth'), parse: (raw: string) => raw },
  ]);
  if (jwksURL === undefined && oidcConfigurationURL === undefined && introspectionUrl === undefined) {
    ctx.fail(
      'oidc.introspect.url',
      '',
      'oidc.* keys are set but no way to check a token: set oidc.introspect.url (RFC 7662 introspection, as James), or oidc.jwksURL / oidc.oidcConfigurationURL (local JWT checks), or remove the oidc.* keys',
      'incomplete OIDC configuration',
    );
  }
  if (introspectionAuth !== undefined && introspectionUrl === undefined) {
    const urlKey = introspectionAuth.key === 'oidc.introspect.credentials' ? 'oidc.introspect.url' : 'oidc.introspection.url';
    ctx.fail(urlKey, '', `${introspectionAuth.key} is set without ${urlKey}; add the RFC 7662 endpoint URL or remove ${introspectionAuth.key}`, 'incomplete introspection configuration');
  }
  // James spells it oidc.userInfo.url; the lower-case form matches the XML <userinfo>.
  const userinfo = resolveAliases(ctx, [
    { value: props.get('oidc.userinfo.url'), parse: url },
    { value: props.get('oidc.userInfo.url'), parse: url },
  ])?.value;
  const issuer = props.get('oidc.issuer')?.raw;
  const scope = props.get('oidc.scope')?.raw;
  const clientId = props.get('oidc.clientId')?.raw;
  // James: oidc.audience, a comma list; absent = the audience is not checked, as in James.
  const aud = resolveAliases(ctx, [
    { value: props.get('oidc.audience'), parse: (raw: string) => splitList(raw) },
    { value: props.get('oidc.aud'), parse: (raw: string) => splitList(raw) },
  ])?.value ?? [];
  const introspection =
    introspectionUrl === undefined ? undefined : { url: introspectionUrl.value, ...(introspectionAuth !== undefined ? { auth: introspectionAuth.value } : {}) };
  const cache = readTokenCache(props);
  return {
    ...(jwksURL !== undefined ? { jwksURL } : {}),
    ...(oidcConfigurationURL !== undefined ? { oidcConfigurationURL } : {}),
    ...(issuer !== undefined ? { issuer } : {}),
    claim: props.get('oidc.claim')?.raw ?? DEFAULT_OIDC_CLAIM,
    ...(scope !== undefined ? { scope } : {}),
    aud,
    ...(clientId !== undefined ? { clientId } : {}),
    ...(introspection ? { introspection } : {}),
    // James' JMAP strategy asks userinfo as well as introspection and takes the user from userinfo.
    ...(userinfo !== undefined ? { userinfo: { url: userinfo, withIntrospection: true } } : {}),
    revalidateInterval: props.parse('oidc.revalidateInterval', parseSeconds) ?? (introspection ? DEFAULT_REVALIDATE_SECONDS : 0),
    ...(cache ? { cache } : {}),
  };
}

/**
 * James' oidc.token.cache.expiration (a James duration, bare number in milliseconds) and
 * oidc.token.cache.maxSize. Unset, the validator keeps its own bounds (60 s, 10 000 tokens): shorter
 * than James' 5 minutes, so a revoked token stops working sooner.
 */
function readTokenCache(props: PropertiesReader): OidcConfig['cache'] {
  const ttlMs = props.parse('oidc.token.cache.expiration', (raw) => parseJamesDuration(raw, 'ms'));
  const maxEntries = props.parse('oidc.token.cache.maxSize', (raw) => parseInteger(raw, 1, 10_000_000));
  if (ttlMs === undefined && maxEntries === undefined) return undefined;
  return { ...(ttlMs !== undefined ? { ttlMs } : {}), ...(maxEntries !== undefined ? { maxEntries } : {}) };
}

/**
 * James' JWTAuthenticationStrategy accepts JWTs signed by the PEM key of jwt.publickeypem.url. Tessera
 * checks JWTs against a provider's JWKS only; dropping the key would silently refuse every user James
 * let in, so while that strategy is in effect (listed, or James' default list) the key is refused.
 */
function refuseStaticJwtKey(ctx: FileContext, props: PropertiesReader): void {
  if (!props.has('jwt.publickeypem.url')) return;
  const line = props.get(STRATEGY_KEY);
  const jwtInEffect =
    line === undefined ||
    splitList(line.raw).some((item) => {
      try {
        return parseStrategy(item) === 'jwt';
      } catch {
        return false;
      }
    });
  if (!jwtInEffect) return;
  const key = props.get('jwt.publickeypem.url');
  ctx.fail(
    'jwt.publickeypem.url',
    key?.raw ?? '',
    "Tessera checks JWTs against the provider's published keys, not a PEM file: publish the key as a JWKS and set oidc.jwksURL (with oidc.claim=sub to take the user from the subject, as James does), or remove jwt.publickeypem.url",
    "James' static JWT public key is not supported",
  );
}

/**
 * James' user.provisioning.enabled=true creates a user at the first JMAP login with a valid token.
 * Tessera never creates users that way, so a file that asks for it is refused rather than silently
 * refusing those users; false is what Tessera does anyway.
 */
function refuseUserProvisioning(ctx: FileContext, props: PropertiesReader): void {
  const on = props.parse('user.provisioning.enabled', parseBoolean);
  if (on !== true) return;
  ctx.fail(
    'user.provisioning.enabled',
    'true',
    'Tessera does not create users at their first token login: create them (tessera user add) or keep them in LDAP, and set user.provisioning.enabled=false',
    'not supported',
  );
}

function readStrategies(ctx: FileContext, props: PropertiesReader, auth: AuthConfig): JmapStrategyName[] {
  const raw = props.get(STRATEGY_KEY);
  if (!raw) {
    // James' fallback is JWT then Basic; JWT needs an OIDC provider, so without one Basic stays.
    return auth.oidc ? ['jwt', 'basic'] : ['basic'];
  }
  const names = splitList(raw.raw).map((s) => ctx.parse(STRATEGY_KEY, s, parseStrategy));
  const unique = [...new Set(names)];
  if (unique.length !== names.length) ctx.warn(STRATEGY_KEY, 'a strategy is listed twice; it is tried once');
  if (unique.length === 0) ctx.fail(STRATEGY_KEY, raw.raw, 'list at least one strategy, e.g. BasicAuthenticationStrategy', 'empty');
  const needsOidc = unique.filter((s) => s === 'jwt' || s === 'oidc');
  if (needsOidc.length > 0 && !auth.oidc) {
    ctx.fail(STRATEGY_KEY, raw.raw, `the ${needsOidc.join('/')} strategy validates tokens with an OpenID provider: set oidc.oidcConfigurationURL or oidc.jwksURL (with oidc.claim, oidc.aud) in jmap.properties, or remove the strategy`, 'strategy needs OIDC settings');
  }
  return unique;
}

function readXUser(ctx: FileContext, props: PropertiesReader, strategies: JmapStrategyName[]): JmapConfig['xUser'] {
  const prefix = `${STRATEGY_KEY}.xUser`;
  const secrets = props.parse(`${prefix}.secret`, (raw) => {
    const list = splitList(raw);
    if (list.length === 0) throw new InvalidValue('write one secret or several, comma-separated', 'empty');
    return list;
  }) ?? [];
  const trustedProxies = props.parse(`${prefix}.trustedProxies`, parseCidrList) ?? [];
  const headerName = props.parse(`${prefix}.header`, (raw) => {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(raw)) throw new InvalidValue('write an HTTP header name, e.g. X-User');
    return raw;
  }) ?? DEFAULT_XUSER_HEADER;
  // As in James, the gateway's X-User-Secret is enough; trusted proxies may pin its address too.
  // James only warns when neither is set; then anyone who can reach JMAP could claim any identity.
  if (strategies.includes('xuser') && trustedProxies.length === 0 && secrets.length === 0) {
    ctx.fail(
      STRATEGY_KEY,
      props.get(STRATEGY_KEY)?.raw ?? '',
      `XUserAuthenticationStrategy without ${prefix}.secret would let anyone who reaches JMAP claim any identity in the X-User header (James only warns; Tessera refuses): set ${prefix}.secret to the X-User-Secret your gateway sends, and/or ${prefix}.trustedProxies to its addresses`,
      'X-User strategy with neither a secret nor trusted proxies',
    );
  }
  return { headerName, trustedProxies, secrets };
}

/** RFC 8620 §7.2: the maximum expiry of a push subscription "MUST be at least 48 hours in the future". */
const MIN_PUSH_EXPIRY_SECONDS = 48 * 3600;

/**
 * webpush.prevent.server.side.request.forgery (James; default true): false lets push subscriptions
 * use http:// and loopback/private addresses. webpush.subscription.maxExpiry (Tessera; a duration,
 * default 7d): how far in the future a subscription's expiry may be.
 */
function webPushSettings(props: PropertiesReader): Pick<JmapConfig, 'webPush'> {
  const preventSsrf = props.parse('webpush.prevent.server.side.request.forgery', parseBoolean);
  const maxExpiryMs = props.parse('webpush.subscription.maxExpiry', (raw) => {
    const ms = parseJamesDuration(raw, 's');
    if (ms < MIN_PUSH_EXPIRY_SECONDS * 1000) throw new InvalidValue('RFC 8620 §7.2 requires at least 48 hours: write 48h or more (default 7d)', 'too short');
    return ms;
  });
  if (preventSsrf === undefined && maxExpiryMs === undefined) return {};
  return {
    webPush: {
      ...(preventSsrf !== undefined ? { allowPrivate: !preventSsrf } : {}),
      ...(maxExpiryMs !== undefined ? { maxExpirySeconds: Math.floor(maxExpiryMs / 1000) } : {}),
    },
  };
}

function readTokenExpiry(ctx: FileContext, props: PropertiesReader): TokenExpiryPolicy {
  const action = props.parse('tokenExpiry.action', (raw) => parseEnum(raw, ['disconnect', 'ignore'] as const)) ?? DEFAULT_TOKEN_EXPIRY.action;
  const grace = props.parse('tokenExpiry.grace', (raw) => parseInteger(raw, 0));
  if (action === 'ignore') {
    if (grace !== undefined) ctx.warn('tokenExpiry.grace', 'has no effect with tokenExpiry.action=ignore');
    return { action };
  }
  return { action, graceSeconds: grace ?? DEFAULT_TOKEN_GRACE_SECONDS };
}
