// One login attempt per call, over a fresh connection, returning the server's final reply exactly as
// written: the end-to-end LDAP tests assert reply codes (NO [UNAVAILABLE] vs NO [AUTHENTICATIONFAILED],
// 454 vs 535, 503 vs 401), which real client libraries blur into one "login failed" error.
import { RawClient } from '../imap/raw-client.js';
import { RawSmtpClient, type RawReply } from '../smtp/raw-client.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
/** RFC 7628 §3.2.3: the client's answer to an error challenge is a single ^A. */
const CTRL_A = b64('\x01');

export const plainResponse = (user: string, password: string): string => b64(`\0${user}\0${password}`);
/** SASL PLAIN naming an authorization identity: `user` authenticates and asks to act as `actAs`. */
export const plainAsResponse = (actAs: string, user: string, password: string): string => b64(`${actAs}\0${user}\0${password}`);
export const oauthBearerResponse = (user: string, token: string, port: number): string =>
  b64(`n,a=${user},\x01host=127.0.0.1\x01port=${port}\x01auth=Bearer ${token}\x01\x01`);
export const xoauth2Response = (user: string, token: string): string => b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`);

/** An IMAP quoted string (RFC 3501 §4.3): backslash and double quote are escaped. */
function imapQuoted(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

async function withImap(port: number, run: (c: RawClient) => Promise<string>): Promise<string> {
  const c = await RawClient.connect(port, { tls: true });
  try {
    return await run(c);
  } finally {
    c.close();
  }
}

/** IMAP LOGIN over implicit TLS; returns the tagged reply line, e.g. "a NO [AUTHENTICATIONFAILED] …". */
export function imapLogin(port: number, user: string, password: string): Promise<string> {
  return withImap(port, async (c) => {
    const lines = await c.command('a', `LOGIN ${imapQuoted(user)} ${imapQuoted(password)}`);
    return lines[lines.length - 1] ?? '';
  });
}

/**
 * IMAP AUTHENTICATE without an initial response: each `+` continuation gets the next response, and
 * once they are used up, ^A (the answer to an OAUTHBEARER error challenge). Returns the tagged line.
 */
export function imapAuthenticate(port: number, mechanism: string, responses: string[]): Promise<string> {
  return withImap(port, async (c) => {
    const pending = [...responses];
    c.write(`a AUTHENTICATE ${mechanism}\r\n`);
    for (;;) {
      const line = await c.readLine(15_000);
      if (line === '' && c.closed) throw new Error('IMAP connection closed during AUTHENTICATE');
      if (line.startsWith('+')) c.write(`${pending.shift() ?? CTRL_A}\r\n`);
      else if (line.startsWith('a ')) return line;
    }
  });
}

/**
 * SMTP AUTH over implicit TLS after EHLO, without an initial response; 334 challenges are answered
 * like imapAuthenticate's. Returns the final reply (235, 535, 454…).
 */
export async function smtpAuthenticate(port: number, mechanism: string, responses: string[]): Promise<RawReply> {
  const { client } = await RawSmtpClient.connect(port, { tls: true });
  try {
    const ehlo = await client.command('EHLO client.test');
    if (ehlo.code !== 250) throw new Error(`EHLO answered ${ehlo.text}`);
    const pending = [...responses];
    let reply = await client.command(`AUTH ${mechanism}`);
    while (reply.code === 334) reply = await client.command(pending.shift() ?? CTRL_A);
    return reply;
  } finally {
    client.close();
  }
}

/** First line of an SMTP reply as "CODE text", e.g. "535 5.7.8 Authentication credentials invalid". */
export const smtpLine = (reply: RawReply): string => `${reply.code} ${reply.lines[0] ?? ''}`;

export interface JmapAnswer {
  status: number;
  /** The session's `username`, when the request was let in. */
  username: string | undefined;
}

/** GET /jmap/session with the given Authorization header value. */
export async function jmapSession(baseUrl: string, authorization: string): Promise<JmapAnswer> {
  const response = await fetch(`${baseUrl}/jmap/session`, { headers: { Authorization: authorization } });
  const text = await response.text();
  let username: string | undefined;
  if (response.status === 200) {
    const body = JSON.parse(text) as { username?: unknown };
    username = typeof body.username === 'string' ? body.username : undefined;
  }
  return { status: response.status, username };
}

export const basic = (user: string, password: string): string => `Basic ${b64(`${user}:${password}`)}`;
export const bearer = (token: string): string => `Bearer ${token}`;
