// A small SMTP server for tests that need a next hop or smarthost whose extensions they choose
// (DSN, SMTPUTF8, REQUIRETLS, STARTTLS, AUTH PLAIN): it accepts mail into memory and records every
// connection and every command line, so a test can see which parameters Tessera passed on and how
// many connections it opened. Bounded: lines over 4 KiB and messages over 4 MiB end the connection.
import net from 'node:net';
import tls from 'node:tls';

export interface SinkOptions {
  /** Extensions to advertise in EHLO (besides PIPELINING, 8BITMIME, SIZE). */
  dsn?: boolean;
  smtputf8?: boolean;
  requireTls?: boolean;
  /** Offer STARTTLS with this certificate. */
  tls?: { key: Buffer; cert: Buffer };
  /** Require AUTH PLAIN with these credentials before MAIL. */
  auth?: { user: string; pass: string };
  /** Recipients whose local part starts with this are refused with 550 5.1.1. */
  rejectPrefix?: string;
  /** The EHLO name. */
  name?: string;
  /** Largest message accepted (default 4 MiB). */
  maxData?: number;
}

export interface SinkMessage {
  /** The MAIL FROM command line as received. */
  mail: string;
  /** The RCPT TO command lines as received. */
  rcpts: string[];
  data: Buffer;
  /** Which connection (1-based) carried it, whether over TLS, and the AUTH user. */
  connection: number;
  tls: boolean;
  user: string | undefined;
}

const MAX_LINE = 4096;
const MAX_DATA = 4 * 1024 * 1024;

export class SmtpSink {
  readonly messages: SinkMessage[] = [];
  connections = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly listeners: Array<() => void> = [];

  private constructor(
    private readonly server: net.Server,
    private readonly options: SinkOptions,
  ) {}

  static async start(options: SinkOptions = {}): Promise<SmtpSink> {
    const server = net.createServer();
    const sink = new SmtpSink(server, options);
    server.on('connection', (socket) => sink.serve(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return sink;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Called whenever a message arrives (tests wait on it through waitFor). */
  onMessage(listener: () => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(raw: net.Socket): void {
    const connection = ++this.connections;
    let socket: net.Socket = raw;
    this.sockets.add(raw);
    raw.on('close', () => this.sockets.delete(raw));
    let buffer = Buffer.alloc(0);
    let secure = false;
    let user: string | undefined;
    let tx: { mail: string; rcpts: string[] } | undefined;
    let data: Buffer[] | undefined;
    let dataSize = 0;
    const name = this.options.name ?? 'sink.test';
    const write = (text: string): void => {
      socket.write(`${text}\r\n`);
    };
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (data) {
          const end = buffer.indexOf('\r\n.\r\n');
          const take = end < 0 ? Math.max(0, buffer.length - 4) : end + 2;
          data.push(buffer.subarray(0, take));
          dataSize += take;
          if (dataSize > (this.options.maxData ?? MAX_DATA)) return void socket.destroy();
          if (end < 0) {
            buffer = buffer.subarray(take);
            return;
          }
          buffer = buffer.subarray(end + 5);
          const body = Buffer.concat(data).toString('latin1').replace(/^\.\./gm, '.');
          this.messages.push({ ...tx!, data: Buffer.from(body, 'latin1'), connection, tls: secure, user });
          data = undefined;
          tx = undefined;
          write('250 2.0.0 Ok: queued');
          for (const l of this.listeners) l();
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) {
          if (buffer.length > MAX_LINE) socket.destroy();
          return;
        }
        const line = buffer.subarray(0, eol).toString('utf8');
        buffer = buffer.subarray(eol + 2);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') {
          const ext = ['PIPELINING', '8BITMIME', `SIZE ${Math.max(10485760, this.options.maxData ?? 0)}`, 'ENHANCEDSTATUSCODES'];
          if (this.options.dsn) ext.push('DSN');
          if (this.options.smtputf8) ext.push('SMTPUTF8');
          if (this.options.requireTls && secure) ext.push('REQUIRETLS');
          if (this.options.tls && !secure) ext.push('STARTTLS');
          if (this.options.auth) ext.push('AUTH PLAIN');
          const lines = [name, ...ext];
          socket.write(lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}\r\n`).join(''));
        } else if (verb === 'STARTTLS' && this.options.tls && !secure) {
          write('220 2.0.0 Ready to start TLS');
          socket.removeListener('data', onData);
          const upgraded = new tls.TLSSocket(socket, { isServer: true, key: this.options.tls.key, cert: this.options.tls.cert });
          upgraded.on('error', () => upgraded.destroy());
          upgraded.on('data', onData);
          socket = upgraded;
          secure = true;
          buffer = Buffer.alloc(0);
        } else if (verb === 'AUTH') {
          const [, mech, initial] = line.split(' ');
          const decoded = Buffer.from(initial ?? '', 'base64').toString('utf8').split('\0');
          if (mech?.toUpperCase() === 'PLAIN' && this.options.auth && decoded[1] === this.options.auth.user && decoded[2] === this.options.auth.pass) {
            user = decoded[1];
            write('235 2.7.0 Authentication successful');
          } else {
            write('535 5.7.8 Authentication credentials invalid');
          }
        } else if (verb === 'MAIL') {
          if (this.options.auth && !user) write('530 5.7.0 Authentication required');
          else {
            tx = { mail: line, rcpts: [] };
            write('250 2.1.0 Ok');
          }
        } else if (verb === 'RCPT') {
          if (!tx) write('503 5.5.1 Need MAIL');
          else if (this.options.rejectPrefix && new RegExp(`^RCPT TO:<${this.options.rejectPrefix}`, 'i').test(line)) write('550 5.1.1 User unknown');
          else {
            tx.rcpts.push(line);
            write('250 2.1.5 Ok');
          }
        } else if (verb === 'DATA') {
          if (!tx || tx.rcpts.length === 0) write('503 5.5.1 No valid recipients');
          else {
            data = [];
            dataSize = 0;
            write('354 End data with <CR><LF>.<CR><LF>');
          }
        } else if (verb === 'RSET') {
          tx = undefined;
          write('250 2.0.0 Ok');
        } else if (verb === 'NOOP') {
          write('250 2.0.0 Ok');
        } else if (verb === 'QUIT') {
          write('221 2.0.0 Bye');
          socket.end();
        } else {
          write('502 5.5.2 Command not implemented');
        }
      }
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    write(`220 ${name} ESMTP sink`);
  }
}
