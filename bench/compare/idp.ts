// The comparison's identity provider: one RS256 key, shared by every server under test. Tessera
// reads it as a real provider publishes it (discovery document + JWKS over HTTP on loopback, fetched
// once and cached); Dovecot gets the same public key as a PEM file for its local JWT validation
// (`introspection_mode = local`). Tokens are signed here, long-lived enough for a whole run, with
// the claims both servers check: iss, aud, sub, email, scope, iat, nbf, exp. For the introspection
// runs it also issues opaque tokens (random strings it remembers) and answers RFC 7662 introspection
// for them at /introspect (POST token=…, HTTP Basic client credentials), as a provider would.
import { createServer, type Server } from 'node:http';
import { createPublicKey, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';

export const AUDIENCE = 'urn:tessera:mail';
export const SCOPE = 'openid email';
export const KID = 'compare-key-1';
/** The mail domain every server under comparison serves. */
export const DOMAIN = 'compare.test';
const TOKEN_LIFETIME_SECONDS = 4 * 3600;

export interface BenchIdp {
  issuer: string;
  discoveryUrl: string;
  /** The public key as SPKI PEM (Dovecot's local validation key). */
  publicPem: string;
  /** A signed access token for `email`. */
  token(email: string): Promise<string>;
  /** A new opaque access token for `email`, known only to the introspection endpoint. */
  opaqueToken(email: string): string;
  introspectionUrl: string;
  /** The Authorization header introspection clients send. */
  introspectionAuth: string;
  /** Introspection requests answered so far. */
  introspections(): number;
  close(): Promise<void>;
}

export async function startBenchIdp(): Promise<BenchIdp> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const publicPem = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  let issuer = '';
  const opaque = new Map<string, { email: string; exp: number }>();
  let introspections = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/introspect' && req.method === 'POST') {
      introspections++;
      void introspect(req, res, opaque, issuer);
      return;
    }
    const body =
      req.url === '/.well-known/openid-configuration'
        ? { issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }
        : req.url === '/jwks'
          ? { keys: [jwk] }
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body ? JSON.stringify(body) : '{}');
  });
  // Node closes idle keep-alive connections after 5 s by default; Dovecot's HTTP client then stalls on
  // its next introspection over such a connection. Providers keep them open for minutes.
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    publicPem,
    token: (email) => sign(privateKey, issuer, email),
    opaqueToken: (email) => {
      const token = randomBytes(24).toString('base64url');
      opaque.set(token, { email, exp: Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_SECONDS });
      return token;
    },
    introspectionUrl: `${issuer}/introspect`,
    introspectionAuth: INTROSPECTION_AUTH,
    introspections: () => introspections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const INTROSPECTION_AUTH = `Basic ${Buffer.from('mail-server:introspection-secret').toString('base64')}`;

/** RFC 7662 §2: `active` plus the token's claims, or only `active: false` for an unknown token. */
async function introspect(
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
  opaque: ReadonlyMap<string, { email: string; exp: number }>,
  issuer: string,
): Promise<void> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  if (req.headers.authorization !== INTROSPECTION_AUTH) {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"error":"invalid_client"}');
    return;
  }
  const entry = opaque.get(new URLSearchParams(text).get('token') ?? '');
  const now = Math.floor(Date.now() / 1000);
  const answer =
    entry && entry.exp > now
      ? { active: true, email: entry.email, sub: entry.email, scope: SCOPE, aud: AUDIENCE, iss: issuer, client_id: 'tessera', token_type: 'Bearer', iat: now - 5, nbf: now - 5, exp: entry.exp }
      : { active: false };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(answer));
}

function sign(key: CryptoKey, issuer: string, email: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email, scope: SCOPE, client_id: 'tessera' })
    .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setSubject(email)
    .setIssuedAt(now - 5)
    .setNotBefore(now - 5)
    .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
    .sign(key);
}
