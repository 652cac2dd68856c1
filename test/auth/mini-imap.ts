// A minimal IMAP responder for driving real clients (curl, Python imaplib) through AuthService's SASL
// layer: CAPABILITY, AUTHENTICATE (with SASL-IR), LOGIN, LIST, LOGOUT. Only what the auth tests need;
// the real IMAP server lives in src/imap. It shows the framing contract: a challenge is `+ <base64>`,
// each client line goes to `respond()` unchanged.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AuthService } from '../../src/auth/service.js';
import type { AuthFailure, ConnectionAuthContext, Principal, SaslExchange, SaslStep } from '../../src/auth/types.js';

export interface MiniImap {
  port: number;
  /** Principals of successful logins, in order. */
  logins: Principal[];
  /** Failure codes, in order. */
  failures: string[];
  close(): Promise<void>;
}

const NO_CODE: Record<AuthFailure['code'], string> = {
  invalid: 'NO [AUTHENTICATIONFAILED]',
  temporary: 'NO [UNAVAILABLE]',
  throttled: 'NO [UNAVAILABLE]',
  aborted: 'BAD',
  malformed: 'BAD',
  'encryption-required': 'NO [PRIVACYREQUIRED]',
  'mechanism-unavailable': 'NO',
};

export async function startMiniImap(service: AuthService, auth: ConnectionAuthContext['auth']): Promise<MiniImap> {
  const logins: Principal[] = [];
  const failures: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const ctx: ConnectionAuthContext = { protocol: 'imap', auth, secure: false, peer: socket.remoteAddress ?? '?' };
    const caps = () => ['IMAP4rev1', 'SASL-IR', ...service.advertisedMechanisms(ctx).map((m) => `AUTH=${m}`)].join(' ');
    let pending: { tag: string; exchange: SaslExchange } | undefined;
    let buffer = '';
    let chain: Promise<unknown> = Promise.resolve();
    const send = (line: string) => socket.write(`${line}\r\n`);
    const finish = (tag: string, step: SaslStep) => {
      if (step.type === 'challenge') return send(`+ ${step.base64}`);
      pending = undefined;
      if (step.type === 'success') {
        logins.push(step.principal);
        return send(`${tag} OK [CAPABILITY IMAP4rev1] authenticated`);
      }
      failures.push(step.failure.code);
      send(`${tag} ${NO_CODE[step.failure.code]} ${step.failure.message}`);
    };
    const handle = async (line: string) => {
      if (pending) {
        const { tag, exchange } = pending;
        return finish(tag, await exchange.respond(line));
      }
      const [tag = '*', command = '', ...args] = line.split(' ');
      switch (command.toUpperCase()) {
        case 'CAPABILITY':
          send(`* CAPABILITY ${caps()}`);
          return send(`${tag} OK done`);
        case 'AUTHENTICATE': {
          const begun = service.beginSasl(args[0] ?? '', ctx);
          if (!('start' in begun)) {
            failures.push(begun.code);
            return send(`${tag} ${NO_CODE[begun.code]} ${begun.message}`);
          }
          pending = { tag, exchange: begun };
          return finish(tag, await begun.start(args[1]));
        }
        case 'LIST':
          return send(`${tag} OK done`);
        case 'LOGOUT':
          send('* BYE');
          send(`${tag} OK done`);
          return void socket.end();
        default:
          return send(`${tag} BAD unsupported in this test responder`);
      }
    };
    socket.on('data', (data) => {
      buffer += data.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        chain = chain.then(() => handle(line)).catch(() => socket.destroy());
      }
    });
    send(`* OK [CAPABILITY ${caps()}] test responder ready`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    logins,
    failures,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
