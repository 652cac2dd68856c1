// webadmin.properties → WebAdminConfig: James' WebAdmin REST API listener (enabled, port, host,
// https.*, jwt.*, cors.*). Unlike James, Tessera never serves it unauthenticated beyond loopback: a
// host other than loopback without jwt.enabled or oidc.enabled is refused at start, because anyone who
// reaches the port could create users, read sessions and end them.
import type { FileContext } from './context.js';
import { isLoopbackHost } from './lmtp.js';
import { PropertiesReader } from './properties.js';
import { loadTls } from './tls.js';
import type { WebAdminConfig } from './types.js';
import { parseBoolean, parseHost, parsePort, splitList } from './values.js';

/** James' default port is 8000, which the sample JMAP server already takes; Tessera's sample uses 8002. */
export const DEFAULT_WEBADMIN_PORT = 8000;
/** James' sample says host=localhost; absent, Tessera stays on loopback too (James: every interface). */
export const DEFAULT_WEBADMIN_HOST = '127.0.0.1';
/** James' default key file, next to the other configuration files. */
export const JWT_PUBLIC_KEY_FILE = 'jwt_publickey';

const IGNORED_JAMES_KEYS: ReadonlyMap<string, string> = new Map([
  ['extensions.routes', 'Java route classes cannot be loaded; Tessera serves its own route set'],
  ['https.trust.keystore', 'no client certificates are asked for'],
  ['https.trust.password', 'no client certificates are asked for'],
  ['password.generate', 'Tessera authenticates WebAdmin with JWT or OIDC tokens, never a generated password'],
]);

export async function loadWebAdminFile(ctx: FileContext, text: string | undefined, readKeyFile: (name: string) => Promise<string | undefined>): Promise<WebAdminConfig> {
  const props = new PropertiesReader(ctx, text ?? '');
  const enabled = text === undefined ? false : (props.parse('enabled', parseBoolean) ?? false);
  const host = props.parse('host', parseHost) ?? DEFAULT_WEBADMIN_HOST;
  const port = props.parse('port', parsePort) ?? DEFAULT_WEBADMIN_PORT;

  for (const key of ['password', 'password.readonly', 'password.nodelete']) {
    const v = props.get(key);
    // Dropping a password the operator relies on would leave the API open: refuse instead.
    if (v) ctx.fail(key, '(hidden)', 'Tessera authenticates WebAdmin with JWT admin tokens (jwt.enabled=true) or OIDC tokens of an administrator (oidc.enabled=true); remove the password keys', 'WebAdmin passwords are not supported');
  }

  const https = props.parse('https.enabled', parseBoolean) ?? false;
  const keystore = props.get('https.keystore');
  const secret = props.get('https.password');
  if (https && !keystore) ctx.fail('https.keystore', '', 'https.enabled=true needs https.keystore (a PKCS#12 or JKS keystore) and https.password', 'missing');
  const tls =
    enabled && https
      ? await loadTls(ctx, {
          socketTLS: true,
          startTLS: false,
          privateKey: undefined,
          certificates: undefined,
          keystore,
          keystoreType: undefined,
          secret,
          names: { keystore: 'https.keystore', keystoreType: 'https.keystoreType', privateKey: 'https.privateKey', certificates: 'https.certificates' },
          blockKey: 'https',
        })
      : undefined;

  const jwtEnabled = props.parse('jwt.enabled', parseBoolean) ?? false;
  const publicKeys = jwtEnabled && enabled ? await readPublicKeys(ctx, props, readKeyFile) : [];
  if (!jwtEnabled) props.get('jwt.publickeypem.url');
  const oidcEnabled = props.parse('oidc.enabled', parseBoolean) ?? false;

  const corsEnabled = props.parse('cors.enable', parseBoolean) ?? false;
  // James' default origin is "*": any page may call the API with a token it holds.
  const corsOrigin = props.get('cors.origin')?.raw.trim() || '*';

  if (enabled && !jwtEnabled && !oidcEnabled && !isLoopbackHost(host)) {
    ctx.fail(
      'host',
      host,
      'WebAdmin without authentication listens on loopback only: set host=127.0.0.1 (and reach it through SSH or a proxy with authentication), or turn on jwt.enabled=true (James admin tokens) or oidc.enabled=true (tokens of a usersrepository.xml administrator)',
      'unauthenticated WebAdmin on a non-loopback address',
    );
  }
  props.warnUnused(IGNORED_JAMES_KEYS);
  return {
    enabled,
    bind: { host, port },
    ...(tls ? { tls } : {}),
    jwt: { enabled: jwtEnabled, publicKeys },
    oidc: { enabled: oidcEnabled },
    cors: { enabled: corsEnabled, origin: corsOrigin },
    source: ctx.display,
  };
}

/**
 * James reads the admin token keys from jwt.publickeypem.url (one or several PEM files, comma
 * separated) and otherwise from conf/jwt_publickey.
 */
async function readPublicKeys(ctx: FileContext, props: PropertiesReader, readKeyFile: (name: string) => Promise<string | undefined>): Promise<string[]> {
  const urls = props.get('jwt.publickeypem.url');
  const pems: { key: string; raw: string; text: string }[] = [];
  if (urls) {
    for (const raw of splitList(urls.raw)) {
      const { data } = await ctx.readReferenced(urls.key, raw, 'JWT public key file');
      pems.push({ key: urls.key, raw, text: data.toString('utf8') });
    }
  } else {
    const text = await readKeyFile(JWT_PUBLIC_KEY_FILE);
    if (text === undefined) {
      ctx.fail('jwt.enabled', 'true', `JWT admin tokens are checked with an RSA public key: put it (PEM) in conf/${JWT_PUBLIC_KEY_FILE} or name it with jwt.publickeypem.url`, 'no public key');
    }
    pems.push({ key: 'jwt.enabled', raw: JWT_PUBLIC_KEY_FILE, text });
  }
  for (const p of pems) {
    if (!p.text.includes('-----BEGIN PUBLIC KEY-----')) {
      ctx.fail(p.key, p.raw, 'the file must hold a PEM public key (-----BEGIN PUBLIC KEY-----)', 'unreadable public key');
    }
  }
  return pems.map((p) => p.text);
}
