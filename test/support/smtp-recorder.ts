// A second, independent MTA for tests: a minimal SMTP receiver (RFC 5321 EHLO, MAIL, RCPT, DATA,
// RSET, NOOP, QUIT; no extensions) on 127.0.0.1 that keeps every message it accepts, with its
// envelope and the client's address, so a test can judge what our outbound side sent.
import net from 'node:net';

export interface SunkMessage {
  helo: string;
  mailFrom: string;
  recipients: string[];
  clientAddress: string;
  /** The message as sent, dot-unstuffed, CRLF line ends. */
  data: Buffer;
}

export interface SmtpSink {
  port: number;
  readonly messages: SunkMessage[];
  close(): Promise<void>;
}

/** Largest message the sink takes; past it the connection is dropped (the test then fails). */
const MAX_DATA = 8 * 1024 * 1024;

export async function startSmtpSink(hostname = 'sink.remote.test'): Promise<SmtpSink> {
  const messages: SunkMessage[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = Buffer.alloc(0);
    let inData = false;
    let helo = '';
    let mailFrom = '';
    let recipients: string[] = [];
    const say = (line: string): void => void socket.write(`${line}\r\n`);
    say(`220 ${hostname} ESMTP sink`);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length > MAX_DATA) socket.destroy();
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          const atStart = buffer.subarray(0, 3).toString() === '.\r\n';
          if (end < 0 && !atStart) return;
          const raw = atStart ? Buffer.alloc(0) : buffer.subarray(0, end + 2);
          buffer = buffer.subarray(atStart ? 3 : end + 5);
          const data = Buffer.from(raw.toString('latin1').replace(/^\.\./gm, '.'), 'latin1');
          messages.push({ helo, mailFrom, recipients, clientAddress: socket.remoteAddress ?? '', data });
          inData = false;
          recipients = [];
          say('250 2.0.0 accepted');
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) return;
        const line = buffer.subarray(0, nl).toString('utf8');
        buffer = buffer.subarray(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') {
          helo = line.slice(5).trim();
          say(`250 ${hostname}`);
        } else if (verb === 'MAIL') {
          mailFrom = /<([^>]*)>/.exec(line)?.[1] ?? '';
          say('250 2.1.0 ok');
        } else if (verb === 'RCPT') {
          recipients.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          say('250 2.1.5 ok');
        } else if (verb === 'DATA') {
          inData = true;
          say('354 end with <CRLF>.<CRLF>');
        } else if (verb === 'QUIT') {
          say('221 2.0.0 bye');
          socket.end();
          return;
        } else if (verb === 'RSET' || verb === 'NOOP') {
          say('250 2.0.0 ok');
        } else {
          say('502 5.5.1 not implemented');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
