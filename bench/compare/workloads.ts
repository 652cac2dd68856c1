// The comparison's client side: the same byte-for-byte sessions against every server.
//  - login: connect → AUTHENTICATE OAUTHBEARER (SASL-IR) or XOAUTH2 → SELECT INBOX → LOGOUT;
//  - submission: connect → EHLO → AUTH OAUTHBEARER → 1 KiB message to a local user → QUIT;
//  - idle: N connections that log in, SELECT INBOX and sit in IDLE;
//  - append: one logged-in connection per client APPENDing 2–250 KB messages to INBOX back to back.
// Each runs `clients` sessions back to back for a fixed time and counts the completed ones. Every
// session may run over implicit TLS (IMAPS, SMTPS) instead of clear text.
import { ImapClient } from '../support/imap-client.js';
import { RawSmtpClient } from '../../test/smtp/raw-client.js';

export interface Account {
  user: string;
  token: string;
}

export type Mechanism = 'OAUTHBEARER' | 'XOAUTH2';

/** Where a server listens, and whether the port speaks implicit TLS. */
export interface Endpoint {
  port: number;
  tls: boolean;
}

export function saslResponse(mechanism: Mechanism, account: Account, port: number): string {
  const text =
    mechanism === 'OAUTHBEARER'
      ? `n,a=${account.user},\x01host=127.0.0.1\x01port=${port}\x01auth=Bearer ${account.token}\x01\x01`
      : `user=${account.user}\x01auth=Bearer ${account.token}\x01\x01`;
  return Buffer.from(text).toString('base64');
}

async function imapLogin(at: Endpoint, account: Account, mechanism: Mechanism): Promise<ImapClient> {
  const client = await ImapClient.connect(at.port, undefined, { tls: at.tls });
  try {
    await client.authenticate(mechanism, saslResponse(mechanism, account, at.port));
    await client.command('SELECT INBOX');
    return client;
  } catch (err) {
    client.close();
    throw err;
  }
}

export async function loginSession(at: Endpoint, account: Account, mechanism: Mechanism): Promise<void> {
  const client = await imapLogin(at, account, mechanism);
  try {
    await client.command('LOGOUT');
  } finally {
    client.close();
  }
}

/** A 1 KiB message (CRLF lines, dot-terminated for DATA). */
export function message(from: string, to: string): string {
  const head = `From: <${from}>\r\nTo: <${to}>\r\nSubject: compare\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@compare.test>\r\n\r\n`;
  const line = `${'x'.repeat(76)}\r\n`;
  let body = head;
  while (body.length + line.length <= 1024 - 2) body += line;
  return `${body.padEnd(1024 - 2, 'y')}\r\n.\r\n`;
}

function expectCode(code: number, got: { code: number; text: string }, what: string): void {
  if (got.code !== code) throw new Error(`${what}: expected ${code}, got ${got.text}`);
}

export async function submissionSession(at: Endpoint, from: Account, to: string): Promise<void> {
  const { client, greeting } = await RawSmtpClient.connect(at.port, { tls: at.tls });
  try {
    expectCode(220, greeting, 'greeting');
    expectCode(250, await client.command('EHLO client.compare.test'), 'EHLO');
    expectCode(235, await client.command(`AUTH OAUTHBEARER ${saslResponse('OAUTHBEARER', from, at.port)}`), 'AUTH');
    expectCode(250, await client.command(`MAIL FROM:<${from.user}>`), 'MAIL');
    expectCode(250, await client.command(`RCPT TO:<${to}>`), 'RCPT');
    expectCode(354, await client.command('DATA'), 'DATA');
    client.write(message(from.user, to));
    expectCode(250, await client.read(), 'end of DATA');
    expectCode(221, await client.command('QUIT'), 'QUIT');
    await client.closed;
  } finally {
    client.close();
  }
}

/** A session that has not finished by then counts as failed (its socket is left to the server's timeout). */
const SESSION_TIMEOUT_MS = 30_000;

export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

export interface LoadResult {
  ops: number;
  failures: number;
  seconds: number;
  firstError?: string;
}

/** `clients` loops running `session(k, i)` (client k, its i-th session) until `seconds` have passed. */
export async function runLoad(seconds: number, clients: number, session: (client: number, i: number) => Promise<void>): Promise<LoadResult> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const result: LoadResult = { ops: 0, failures: 0, seconds: 0 };
  await Promise.all(
    Array.from({ length: clients }, async (_, k) => {
      for (let i = 0; performance.now() < deadline; i++) {
        try {
          await withTimeout(session(k, i), SESSION_TIMEOUT_MS);
          result.ops++;
        } catch (err) {
          result.failures++;
          result.firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** Opens `count` IDLE connections, `parallel` at a time; the caller closes them. */
export async function openIdlers(at: Endpoint, accounts: readonly Account[], count: number, parallel = 8): Promise<ImapClient[]> {
  const open: ImapClient[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        const client = await imapLogin(at, accounts[i % accounts.length]!, 'OAUTHBEARER');
        await client.idle();
        open.push(client);
      }
    }),
  );
  return open;
}

/** The APPEND sizes, cycled: 2 KB to 250 KB, about 64 KB on average. */
export const APPEND_SIZES_KB = [2, 4, 8, 16, 32, 64, 128, 250] as const;

/** Sizes of the messages that fill the login users' inboxes before the rounds. */
const SEED_SIZES_KB = [2, 4, 8, 16] as const;

/**
 * Words of running English text. Bodies are made of them so that what the servers store and index
 * looks like mail: a body of one repeated character has a single distinct trigram and flatters any
 * full-text index.
 */
const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she ' +
  'there been one all we their has would when if so no will can more other about what up out them into do time some only could ' +
  'new these two may first then any like now my such make over our even most me state after also made many did must before back ' +
  'see through way where get much go well your know should down work year because come people just say each those take day good ' +
  'how long own too little use us very great world still public men without high last might same under never being another while ' +
  'upon meeting invoice report budget quarter schedule attached please review thanks regards project customer order shipping'
).split(' ');

/** About `bytes` of CRLF lines of words, picked by a xorshift generator seeded with `seed`. */
export function textBody(bytes: number, seed: number): Buffer {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const lines: string[] = [];
  let size = 0;
  let line = '';
  while (size < bytes) {
    const word = WORDS[next() % WORDS.length]!;
    if (line.length + word.length + 1 > 76) {
      lines.push(line);
      size += line.length + 2;
      line = '';
    }
    line = line ? `${line} ${word}` : word;
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

/** A header block whose Message-ID makes every message distinct (no server can de-duplicate them). */
function messageHead(subject: string): string {
  return `From: <bench@compare.test>\r\nTo: <bench@compare.test>\r\nSubject: ${subject}\r\nMessage-ID: <${Math.random().toString(36).slice(2)}.${Date.now()}@compare.test>\r\n\r\n`;
}

/** Bodies of about each size in `sizesKb` (less room for the header), built once per load. */
function bodies(sizesKb: readonly number[]): Buffer[] {
  return sizesKb.map((kb, i) => textBody(kb * 1024 - 160, i + 1));
}

/**
 * `clients` logged-in connections (one account each), each APPENDing to INBOX until `seconds` have
 * passed; an operation is one APPEND acknowledged with OK (the server's promise that it is stored).
 * Every message is distinct (its own Message-ID), as arriving mail is.
 */
export async function runAppendLoad(at: Endpoint, accounts: readonly Account[], seconds: number, clients: number): Promise<LoadResult> {
  const texts = bodies(APPEND_SIZES_KB);
  const sessions = await Promise.all(Array.from({ length: clients }, (_, k) => imapLogin(at, accounts[k % accounts.length]!, 'OAUTHBEARER')));
  try {
    return await runLoad(seconds, clients, async (k, i) => {
      await sessions[k]!.append('INBOX', Buffer.concat([Buffer.from(messageHead(`append ${k}-${i}`)), texts[(k + i) % texts.length]!]));
    });
  } finally {
    for (const c of sessions) c.close();
  }
}

/**
 * Puts `perAccount` distinct messages of 2-16 KB into each account's INBOX, `parallel` accounts at
 * a time (not measured): the login rounds then SELECT mailboxes that hold mail, the same on every
 * server and in every round.
 */
export async function seedInboxes(at: Endpoint, accounts: readonly Account[], perAccount: number, parallel = 8): Promise<void> {
  const texts = bodies(SEED_SIZES_KB);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < accounts.length) {
        const account = accounts[next++]!;
        const client = await imapLogin(at, account, 'OAUTHBEARER');
        try {
          for (let i = 0; i < perAccount; i++) {
            await client.append('INBOX', Buffer.concat([Buffer.from(messageHead(`seed ${i}`)), texts[i % texts.length]!]));
          }
          await client.command('LOGOUT');
        } finally {
          client.close();
        }
      }
    }),
  );
}
