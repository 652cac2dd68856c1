// Parsers for the two OAuth SASL wire formats, as pure functions over the decoded payload:
//  - OAUTHBEARER (RFC 7628 §3.1): gs2-header "n,a=user," then ^A-separated key=value pairs, ^A^A.
//  - XOAUTH2 (Google): "user=…^Aauth=Bearer …^A^A".
// Real clients mix them up, so `parseOAuthPayload` recognises either format whatever mechanism name
// was used (as James does since 2025).

export interface OAuthCredentials {
  format: 'oauthbearer' | 'xoauth2';
  /** The user the payload names (`a=` authzid or `user=`), if any. */
  user?: string;
  token: string;
  host?: string;
  port?: number;
}

export type OAuthParseResult = { ok: true; credentials: OAuthCredentials } | { ok: false; reason: string };

const SEP = '\x01';
// RFC 6750 b64token.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// RFC 7628 §3.1: key = 1*(ALPHA); value = *(VCHAR / SP / HTAB / CR / LF).
const KEY = /^[A-Za-z]+$/;
const VALUE = /^[\x21-\x7e \t\r\n]*$/;

export function parseOAuthPayload(payload: string): OAuthParseResult {
  if (/^[ny],/.test(payload) || payload.startsWith('p=')) return parseOAuthBearer(payload);
  if (payload.startsWith('user=') || payload.startsWith('auth=')) return parseXOAuth2(payload);
  return { ok: false, reason: 'unrecognised OAuth payload' };
}

export function parseOAuthBearer(payload: string): OAuthParseResult {
  const header = parseGs2Header(payload);
  if (!header.ok) return header;
  const rest = payload.slice(header.length);
  if (!rest.startsWith(SEP) || !rest.endsWith(SEP + SEP)) return { ok: false, reason: 'bad OAUTHBEARER framing' };
  const body = rest.slice(1, -2);
  const pairs = body === '' ? [] : body.split(SEP);
  const kv = parseKvPairs(pairs);
  if (!kv.ok) return kv;
  return credentialsFrom('oauthbearer', header.authzid, kv.values);
}

export function parseXOAuth2(payload: string): OAuthParseResult {
  // Tolerate a missing final ^A pair, which some clients omit; empty fields are only allowed there.
  let body = payload;
  while (body.endsWith(SEP)) body = body.slice(0, -1);
  const pairs = body.split(SEP);
  const kv = parseKvPairs(pairs);
  if (!kv.ok) return kv;
  const user = kv.values.get('user');
  return credentialsFrom('xoauth2', user, kv.values);
}

interface Gs2Header {
  ok: true;
  authzid?: string;
  /** Characters consumed, including the trailing comma. */
  length: number;
}

/** RFC 5801 gs2-header without the optional "F,": cbind flag, authzid, comma. Channel binding ("p=") is unsupported. */
export function parseGs2Header(payload: string): Gs2Header | { ok: false; reason: string } {
  if (payload.startsWith('p=')) return { ok: false, reason: 'channel binding not supported' };
  if (!/^[ny],/.test(payload)) return { ok: false, reason: 'bad gs2 header' };
  const end = payload.indexOf(',', 2);
  if (end < 0) return { ok: false, reason: 'bad gs2 header' };
  const field = payload.slice(2, end);
  if (field === '') return { ok: true, length: end + 1 };
  if (!field.startsWith('a=')) return { ok: false, reason: 'bad gs2 authzid' };
  const authzid = unescapeSaslName(field.slice(2));
  if (authzid === undefined || authzid === '') return { ok: false, reason: 'bad gs2 authzid' };
  return { ok: true, authzid, length: end + 1 };
}

/** RFC 5801 saslname: "," is written "=2C" and "=" is "=3D"; any other "=" is an error. */
export function unescapeSaslName(text: string): string | undefined {
  if (/=(?!2C|3D)/.test(text) || text.includes(SEP)) return undefined;
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

function parseKvPairs(pairs: string[]): { ok: true; values: Map<string, string> } | { ok: false; reason: string } {
  const values = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return { ok: false, reason: 'bad key=value pair' };
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (!KEY.test(key) || !VALUE.test(value)) return { ok: false, reason: 'bad key=value pair' };
    if (values.has(key)) return { ok: false, reason: `duplicate key ${key}` };
    values.set(key, value);
  }
  return { ok: true, values };
}

function credentialsFrom(
  format: OAuthCredentials['format'],
  user: string | undefined,
  values: Map<string, string>,
): OAuthParseResult {
  const auth = values.get('auth');
  if (auth === undefined) return { ok: false, reason: 'missing auth' };
  const match = /^bearer +(\S+)$/i.exec(auth);
  if (!match || !match[1] || !B64TOKEN.test(match[1])) return { ok: false, reason: 'auth is not a bearer token' };
  let port: number | undefined;
  const portText = values.get('port');
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return { ok: false, reason: 'bad port' };
    port = Number(portText);
  }
  const credentials: OAuthCredentials = { format, token: match[1] };
  if (user !== undefined && user !== '') credentials.user = user;
  const host = values.get('host');
  if (host !== undefined) credentials.host = host;
  if (port !== undefined) credentials.port = port;
  return { ok: true, credentials };
}
