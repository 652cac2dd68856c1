// The development OpenID provider started by `npm start` on the sample conf: a real oidc-provider on
// 127.0.0.1 issuing JWT access tokens for the mail audience to the demo user(s), plus a command-line
// way to get one:
//
//   TOKEN=$(curl -s -d email=demo@example.com http://127.0.0.1:8600/dev/token)
//   curl -v 'imap://127.0.0.1:1143/' --login-options AUTH=OAUTHBEARER --oauth2-bearer "$TOKEN" --user 'demo@example.com:'
//
// POST /dev/token runs the real authorization-code flow inside the IdP for that user and answers the
// access token as text. It exists only on this development provider, which listens on 127.0.0.1 only;
// configuring a real provider (Keycloak, Authentik, Entra) turns it off.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/logger.js';
import { Idp, IDP_CLIENT_ID } from './idp.js';

export interface DevIdpOptions {
  /** Port on 127.0.0.1 (the sample conf uses 8600). */
  port: number;
  /** Issuer URL (sample conf: http://127.0.0.1:8600); default http://127.0.0.1:<port>. */
  issuer?: string;
  /** Users known whatever the directory says (tests); `findUser` looks the others up live. */
  users?: { email: string }[];
  /**
   * The live user directory (`tessera serve` passes the users repository): the canonical name of an
   * existing user, or undefined. Asked at every token request, so a user added with `tessera user
   * add` while the server runs gets tokens at once, and a removed one no longer does.
   */
  findUser?: (email: string) => Promise<string | undefined>;
  /** Access token audience / resource indicator (sample conf: urn:tessera:mail). */
  audience: string;
  logger: Logger;
  /** Scopes of the mail resource (default "openid email"). */
  scope?: string;
  /**
   * When given, POST /dev/token also requires `password` and checks it here (`tessera serve` passes
   * the auth core's check, with the same failed-login throttle as IMAP, SMTP and JMAP), so the
   * endpoint is no weaker than a password login. `peer` is the client's address.
   */
  verifyPassword?: (email: string, password: string, peer: string) => Promise<PasswordVerdict>;
}

/** What a password check answered: 401, 429 (throttled: too many failures) or 503 for the last three. */
export type PasswordVerdict = 'accepted' | 'invalid' | 'throttled' | 'unavailable';

export interface DevIdp {
  readonly issuer: string;
  readonly discoveryUrl: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  /** Issues a real access token for a configured user (what POST /dev/token answers). */
  accessToken(email: string): Promise<string>;
  stop(): Promise<void>;
}

const MAX_FORM_BYTES = 4096;

export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  const scope = options.scope ?? 'openid email';
  let idpRef: Idp | undefined;
  const idp = new Idp({
    port: options.port,
    issuer: options.issuer,
    users: options.users ?? [],
    ...(options.findUser ? { findUser: options.findUser } : {}),
    audience: options.audience,
    scope,
    extraRoutes: (req, res) => handleDevToken(req, res, idpRef, options),
  });
  idpRef = idp;
  await idp.start();
  options.logger.info({ issuer: idp.issuer, audience: options.audience }, 'development OpenID provider started');
  return {
    issuer: idp.issuer,
    discoveryUrl: `${idp.issuer}/.well-known/openid-configuration`,
    tokenUrl: `${idp.issuer}/dev/token`,
    clientId: IDP_CLIENT_ID,
    accessToken: async (email) => (await idp.issueToken(email)).accessToken,
    stop: () => idp.stop(),
  };
}

/** A clear-text listener the banner shows a command for; requireTls: its auth needs STARTTLS first. */
export interface BannerListener {
  host: string;
  port: number;
  requireTls?: boolean;
}

/** Lines for the start-up banner: where the IdP is and how to log in with one of its tokens. */
export function devIdpBannerLines(params: {
  issuer: string;
  email: string;
  imap?: BannerListener;
  smtp?: BannerListener;
  needsPassword?: boolean;
  /** CA file that verifies the listeners' certificate (the self-signed one), for curl's --cacert. */
  cacert?: string;
}): string[] {
  const form = params.needsPassword ? `-d email=${params.email} -d password=…` : `-d email=${params.email}`;
  const lines = [
    `Development OpenID provider: ${params.issuer} (discovery ${params.issuer}/.well-known/openid-configuration)`,
    `  get a token:   TOKEN=$(curl -s ${form} ${params.issuer}/dev/token)`,
  ];
  // Under requireSSL no credential is accepted before TLS: curl must STARTTLS (--ssl-reqd).
  const tls = (l: BannerListener): string =>
    l.requireTls ? ` --ssl-reqd${params.cacert ? ` --cacert '${params.cacert.replace(/'/g, `'\\''`)}'` : ''}` : '';
  if (params.imap) {
    lines.push(
      `  IMAP login:    curl -v${tls(params.imap)} 'imap://${params.imap.host}:${params.imap.port}/' --login-options AUTH=OAUTHBEARER --oauth2-bearer "$TOKEN" --user '${params.email}:'`,
    );
  }
  if (params.smtp) {
    lines.push(
      `  SMTP login:    curl -v${tls(params.smtp)} 'smtp://${params.smtp.host}:${params.smtp.port}' --login-options AUTH=XOAUTH2 --sasl-ir --oauth2-bearer "$TOKEN" --user '${params.email}:' --mail-from ${params.email} --mail-rcpt ${params.email} --upload-file message.eml`,
    );
  }
  return lines;
}

async function handleDevToken(
  req: IncomingMessage,
  res: ServerResponse,
  idp: Idp | undefined,
  options: DevIdpOptions,
): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (path !== '/dev/token' || !idp) return false;
  const send = (status: number, text: string): true => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(text);
    return true;
  };
  if (req.method !== 'POST') return send(405, `use POST with ${ACCEPTED_BODIES}\n`);
  const body = await readCredentials(req);
  if (body.kind === 'too-large') return send(413, 'request too large\n');
  if (body.kind === 'unsupported') return send(415, `unsupported content type ${JSON.stringify(body.type)}: send ${ACCEPTED_BODIES}\n`);
  if (body.kind === 'malformed') return send(400, `${body.why}: send ${ACCEPTED_BODIES}\n`);
  const { email, password } = body;
  if (options.verifyPassword) {
    // Checked before the user list, so unknown names are throttled and answered like wrong passwords.
    const verdict = await options.verifyPassword(email, password, req.socket.remoteAddress ?? '');
    if (verdict === 'invalid') return send(401, 'invalid credentials\n');
    if (verdict === 'throttled') return send(429, 'too many failed attempts, try again later\n');
    if (verdict === 'unavailable') return send(503, 'password check temporarily unavailable\n');
  }
  if (!(await idp.hasUser(email))) return send(404, 'unknown user\n');
  const token = await idp.issueToken(email);
  options.logger.info({ event: 'devidp-token', user: email }, 'development token issued');
  return send(200, `${token.accessToken}\n`);
}

const ACCEPTED_BODIES =
  'email=<address>&password=<password> as application/x-www-form-urlencoded (curl -d), or {"email": …, "password": …} as application/json';

type Credentials =
  | { kind: 'ok'; email: string; password: string }
  | { kind: 'too-large' }
  | { kind: 'unsupported'; type: string }
  | { kind: 'malformed'; why: string };

/** The body of POST /dev/token, as a form (what `curl -d` sends; also without a type) or as JSON. */
async function readCredentials(req: IncomingMessage): Promise<Credentials> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const isJson = type === 'application/json' || /^application\/[^/]+\+json$/.test(type);
  if (type !== '' && type !== 'application/x-www-form-urlencoded' && !isJson) {
    // Unread: Node's HTTP server discards the rest of the body once the answer is sent.
    return { kind: 'unsupported', type };
  }
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return { kind: 'too-large' };
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!isJson) {
    const form = new URLSearchParams(text);
    return { kind: 'ok', email: form.get('email') ?? '', password: form.get('password') ?? '' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'malformed', why: 'the body is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'malformed', why: 'the JSON body must be an object' };
  const { email, password } = value as Record<string, unknown>;
  if (typeof email !== 'string') return { kind: 'malformed', why: '"email" must be a string' };
  if (password !== undefined && typeof password !== 'string') return { kind: 'malformed', why: '"password" must be a string' };
  return { kind: 'ok', email, password: password ?? '' };
}
