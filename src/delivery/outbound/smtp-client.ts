// One delivery attempt to one next hop with nodemailer's SMTP client: EHLO, opportunistic STARTTLS
// (certificates are not verified: without DANE/MTA-STS an MX's certificate proves nothing, and
// refusing would only force plaintext), optional AUTH, then the envelope and the bytes as stored.
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { NextHop } from './next-hop.js';

export interface HopResult {
  /** Per recipient: accepted, or the server's reply. */
  accepted: string[];
  rejected: Array<{ address: string; code: number; response: string }>;
  response: string;
}

/** The whole transaction failed (connect, greeting, MAIL, DATA). code is the SMTP code when known. */
export class HopError extends Error {
  override readonly name = 'HopError';
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
  }
  get permanent(): boolean {
    return this.code !== undefined && this.code >= 500;
  }
}

export interface ClientOptions {
  /** Our EHLO name. */
  name: string;
  timeoutMs: number;
}

export function sendViaHop(hop: NextHop, from: string, to: string[], bytes: Buffer, options: ClientOptions): Promise<HopResult> {
  return new Promise((resolve, reject) => {
    const conn = new SMTPConnection({
      host: hop.host,
      port: hop.port,
      secure: hop.secure,
      name: options.name,
      requireTLS: hop.requireTls,
      opportunisticTLS: !hop.requireTls,
      tls: { rejectUnauthorized: false },
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs * 5,
      allowInternalNetworkInterfaces: true,
      logger: false,
    });
    let settled = false;
    const done = (err: HopError | undefined, result?: HopResult): void => {
      if (settled) return;
      settled = true;
      try {
        if (err) conn.close();
        else conn.quit();
      } catch {
        // the connection may already be gone
      }
      if (err) reject(err);
      else resolve(result!);
    };
    const fail = (e: { message?: string; responseCode?: number; response?: string } | null | undefined): HopError =>
      new HopError(e?.response ?? e?.message ?? 'unknown error', e?.responseCode);
    conn.on('error', (e) => done(fail(e)));
    conn.connect((connectErr) => {
      if (connectErr) return done(fail(connectErr));
      const afterLogin = (): void => {
        conn.send({ from: from === '' ? false : from, to, size: bytes.length, use8BitMime: true }, bytes, (err, info) => {
          if (err || !info) return done(fail(err));
          const rejected = (info.rejectedErrors ?? []).map((e, i) => ({
            address: (e as { recipient?: string }).recipient ?? info.rejected[i] ?? '',
            code: e.responseCode ?? 550,
            response: e.response ?? e.message,
          }));
          done(undefined, { accepted: info.accepted, rejected, response: info.response });
        });
      };
      if (!hop.auth) return afterLogin();
      conn.login({ user: hop.auth.user, pass: hop.auth.pass }, (err) => (err ? done(fail(err)) : afterLogin()));
    });
  });
}
