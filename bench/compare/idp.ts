// The comparison's identity provider: one RS256 key, shared by every server under test. Tessera
// reads it as a real provider publishes it (discovery document + JWKS over HTTP on loopback, fetched
// once and cached); Dovecot gets the same public key as a PEM file for its local JWT validation
// (`introspection_mode = local`). Tokens are signed here, long-lived enough for a whole run, with
// the claims both servers check: iss, aud, sub, email, scope, iat, nbf, exp.
import { createServer, type Server } from 'node:http';
import { createPublicKey } from 'node:crypto';
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
  close(): Promise<void>;
}

export async function startBenchIdp(): Promise<BenchIdp> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const publicPem = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const body =
      req.url === '/.well-known/openid-configuration'
        ? { issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }
        : req.url === '/jwks'
          ? { keys: [jwk] }
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body ? JSON.stringify(body) : '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    publicPem,
    token: (email) => sign(privateKey, issuer, email),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
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
