// One SMTP connection to one next hop with nodemailer's SMTP client: EHLO, STARTTLS, optional AUTH,
// then any number of transactions (the pool reuses a connection for several messages).
//
// TLS: by default opportunistic, certificates not verified (without DANE/MTA-STS an MX's certificate
// proves nothing, and refusing would only force plaintext). A hop that must be verified (REQUIRETLS,
// MTA-STS enforce, a smarthost) is opened with `verifyTls`: STARTTLS is then required and the
// certificate must be valid for the hop's host name.
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
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
  /** Require STARTTLS (or implicit TLS) with a certificate valid for the hop's name. */
  verifyTls: boolean;
  /** Extra trust anchors for verification (a private CA; tests). Default: Node's bundled CAs. */
  ca?: Buffer[];
}

/** What the hop said it supports in its EHLO reply (after STARTTLS), and how the session is protected. */
export interface HopCapabilities {
  dsn: boolean;
  smtputf8: boolean;
  requireTls: boolean;
  /** The session runs over TLS. */
  tls: boolean;
  /** ... and its certificate was verified for the hop's name. */
  verified: boolean;
}

/** RFC 3461 parameters passed on to a next hop that supports DSN (one set per transaction). */
export interface HopDsn {
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  notify?: string[];
  /** "addr-type;address". */
  orcpt?: string;
}

/** A message to send: its size (SIZE=) and a fresh stream of its bytes for each transaction. */
export interface HopMessage {
  size: number;
  /**
   * The bytes, read as the connection takes them (nodemailer pipes them through its dot-stuffing
   * into the socket, with back-pressure). A stream that fails midway fails the transaction, and the
   * connection, left inside DATA, is closed without its terminating dot.
   */
  stream(): Readable;
}

export interface HopEnvelope {
  from: string;
  to: string[];
  dsn?: HopDsn;
  requireTls?: boolean;
}

function hopError(e: { message?: string; responseCode?: number; response?: string } | null | undefined): HopError {
  return new HopError(e?.response ?? e?.message ?? 'unknown error', e?.responseCode);
}

export class HopSession {
  /** Messages sent over this connection. */
  messages = 0;
  private broken = false;
  private closed = false;

  private constructor(
    private readonly conn: SMTPConnection,
    readonly capabilities: HopCapabilities,
  ) {
    conn.on('end', () => {
      this.closed = true;
    });
    conn.on('error', () => {
      this.broken = true;
    });
  }

  /** Connects, greets, negotiates TLS and logs in; rejects with a HopError. */
  static open(hop: NextHop, options: ClientOptions): Promise<HopSession> {
    return new Promise((resolve, reject) => {
      const verify = options.verifyTls || hop.requireTls;
      // SNI takes names only (RFC 6066 §3); an address literal is verified against the IP SANs.
      const servername = isIP(hop.host) === 0 ? { servername: hop.host } : {};
      const conn = new SMTPConnection({
        host: hop.address ?? hop.host,
        port: hop.port,
        secure: hop.secure,
        // The certificate is checked against the hop's name even when we connect to an address.
        ...servername,
        name: options.name,
        requireTLS: verify,
        opportunisticTLS: !verify,
        tls: { rejectUnauthorized: verify, ...servername, ...(options.ca ? { ca: options.ca } : {}) },
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs * 5,
        allowInternalNetworkInterfaces: true,
        logger: false,
      });
      let settled = false;
      const fail = (e: (Parameters<typeof hopError>[0] & { code?: string; command?: string }) | null | undefined): void => {
        if (settled) return;
        settled = true;
        try {
          conn.close();
        } catch {
          // already gone
        }
        // TLS that was required but not offered or not valid is the hop's state, not the message's
        // fault: the message waits for it to be fixed (as Postfix's "encrypt" level defers), it
        // never goes in clear.
        const tlsProblem = e?.code === 'ETLS' || e?.command === 'STARTTLS';
        reject(tlsProblem ? new HopError(`TLS required but not available: ${e?.response ?? e?.message ?? 'handshake failed'}`, undefined) : hopError(e));
      };
      conn.once('error', fail);
      conn.connect((connectErr) => {
        if (connectErr) return fail(connectErr);
        const ready = (): void => {
          if (settled) return;
          settled = true;
          conn.removeListener('error', fail);
          // nodemailer keeps the EHLO keywords it understood in an internal list; it is the only
          // record of what the hop offers before a message is sent (send() results come too late).
          const ext = new Set((conn as unknown as { _supportedExtensions?: string[] })._supportedExtensions ?? []);
          resolve(
            new HopSession(conn, {
              dsn: ext.has('DSN'),
              smtputf8: ext.has('SMTPUTF8'),
              requireTls: ext.has('REQUIRETLS'),
              tls: conn.secure,
              verified: conn.secure && verify,
            }),
          );
        };
        if (!hop.auth) return ready();
        conn.login({ user: hop.auth.user, pass: hop.auth.pass }, (err) => (err ? fail(err) : ready()));
      });
    });
  }

  /** Still open and in a known state: may carry another message. */
  get usable(): boolean {
    return !this.broken && !this.closed;
  }

  /** One transaction. A failure of the whole transaction leaves the connection unusable. */
  send(envelope: HopEnvelope, message: HopMessage): Promise<HopResult> {
    this.messages++;
    return new Promise((resolve, reject) => {
      this.conn.send(
        {
          from: envelope.from === '' ? false : envelope.from,
          to: envelope.to,
          size: message.size,
          use8BitMime: true,
          ...(envelope.dsn ? { dsn: { ...envelope.dsn, ...(envelope.dsn.notify ? { notify: envelope.dsn.notify.join(',') } : {}) } } : {}),
          ...(envelope.requireTls ? { requireTLSExtensionEnabled: true } : {}),
        },
        message.stream(),
        (err, info) => {
          if (err || !info) {
            this.broken = true;
            return reject(hopError(err));
          }
          const rejected = (info.rejectedErrors ?? []).map((e, i) => ({
            address: (e as { recipient?: string }).recipient ?? info.rejected[i] ?? '',
            code: e.responseCode ?? 550,
            response: e.response ?? e.message,
          }));
          resolve({ accepted: info.accepted, rejected, response: info.response });
        },
      );
    });
  }

  /** QUIT when the connection is healthy, else just close it. */
  end(): void {
    this.closed = true;
    try {
      if (this.broken) this.conn.close();
      else this.conn.quit();
    } catch {
      // the connection may already be gone
    }
  }
}
