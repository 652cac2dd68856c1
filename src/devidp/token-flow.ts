// The OAuth 2.0 authorization-code flow with PKCE, run over HTTP against the IdP from the same
// process, as a browser and client together would: follow redirects with a cookie jar, then exchange
// the code (with the resource indicator) at the token endpoint. The result is a token the real
// provider signed, with a real OP session behind it.
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';

export interface FlowParameters {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope: string;
  /** Resource indicator (RFC 8707); without one the token is for the userinfo endpoint. */
  resource?: string;
  /** Opaque `state`, also the IdP's ticket naming the user to log in. */
  state: string;
}

export interface IssuedToken {
  accessToken: string;
  idToken?: string;
  /** Seconds since epoch. */
  expiresAt: number;
  /** The OP session id carried in the access token. */
  sid?: string;
  /** Subject (JWT tokens only). */
  sub?: string;
  jti?: string;
}

export class TokenFlowError extends Error {
  override readonly name = 'TokenFlowError';
}

/** Cookies the user agent holds at the IdP after a flow (its OP session), by name. */
export type CookieJar = Map<string, string>;

export async function runAuthorizationCodeFlow(p: FlowParameters): Promise<{ token: IssuedToken; cookies: CookieJar }> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const auth = new URL(`${p.issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: p.clientId,
    response_type: 'code',
    redirect_uri: p.redirectUri,
    scope: p.scope,
    ...(p.resource !== undefined ? { resource: p.resource } : {}),
    state: p.state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();

  const cookies: CookieJar = new Map();
  const code = await followToCallback(auth.toString(), p.redirectUri, p.state, cookies);
  const response = await fetch(`${p.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(p.clientId)}:${encodeURIComponent(p.clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: p.redirectUri,
      code_verifier: verifier,
      ...(p.resource !== undefined ? { resource: p.resource } : {}),
    }).toString(),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200 || typeof body.access_token !== 'string') {
    throw new TokenFlowError(`token endpoint answered ${response.status}: ${String(body.error)} ${String(body.error_description ?? '')}`);
  }
  // Opaque tokens carry nothing readable; their details come from introspection.
  const claims = looksLikeJwt(body.access_token) ? decodeJwt(body.access_token) : {};
  const token: IssuedToken = {
    accessToken: body.access_token,
    idToken: typeof body.id_token === 'string' ? body.id_token : undefined,
    expiresAt: typeof claims.exp === 'number' ? claims.exp : Math.floor(Date.now() / 1000) + Number(body.expires_in ?? 0),
    sid: typeof claims.sid === 'string' ? claims.sid : undefined,
    sub: typeof claims.sub === 'string' ? claims.sub : undefined,
    jti: typeof claims.jti === 'string' ? claims.jti : undefined,
  };
  return { token, cookies };
}

/** A request as the user agent holding `jar`, without following redirects; updates the jar. */
export async function browserRequest(url: string, jar: CookieJar, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    redirect: 'manual',
    headers,
    body: init.form ? new URLSearchParams(init.form).toString() : undefined,
  });
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair?.indexOf('=') ?? -1;
    if (!pair || eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  return response;
}

/** Follows redirects with a cookie jar until the client's redirect URI; returns the `code`. */
async function followToCallback(start: string, redirectUri: string, state: string, jar: CookieJar): Promise<string> {
  let url = start;
  for (let hop = 0; hop < 12; hop++) {
    const response = await browserRequest(url, jar);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      const text = await response.text();
      throw new TokenFlowError(`authorization flow stopped at ${new URL(url).pathname} with ${response.status}: ${text.slice(0, 200)}`);
    }
    await response.body?.cancel();
    const next = new URL(location, url);
    if (next.toString().startsWith(redirectUri)) {
      const error = next.searchParams.get('error');
      if (error) throw new TokenFlowError(`authorization failed: ${error} ${next.searchParams.get('error_description') ?? ''}`);
      if (next.searchParams.get('state') !== state) throw new TokenFlowError('authorization response state mismatch');
      const code = next.searchParams.get('code');
      if (!code) throw new TokenFlowError('authorization response without code');
      return code;
    }
    url = next.toString();
  }
  throw new TokenFlowError('too many redirects in authorization flow');
}

function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}
