// One attack of bench/hostile, in its own process so that flooding the server does not delay the
// bench's own measurements: `attacker.ts <attack> <port> <seconds> <connections> [size-mb]`. Exits
// when the attack's time is up.
import net from 'node:net';

const [attackName, portArg, secondsArg, connectionsArg, sizeArg] = process.argv.slice(2);
/** The MX attack's recipient: a local user of the SMTP harness (test/smtp/harness.ts). */
const MX_RECIPIENT = 'bob@example.test';
const port = Number(portArg);
const CONNECTIONS = Number(connectionsArg);
const MB = 1024 * 1024;
/** Message size of the slow-sender attacks. */
const SIZE = Math.round(Number(sizeArg ?? '40') * MB);

type Attack = (stopAt: number, sockets: Set<net.Socket>) => void;

/** Keeps one connection busy until stopAt: reconnects whenever the server closes it. */
function keepAttacking(stopAt: number, sockets: Set<net.Socket>, onConnect: (s: net.Socket) => void): void {
  if (Date.now() >= stopAt) return;
  const s = net.connect(port, '127.0.0.1');
  sockets.add(s);
  s.on('error', () => undefined);
  s.once('connect', () => onConnect(s));
  s.once('close', () => {
    sockets.delete(s);
    setTimeout(() => keepAttacking(stopAt, sockets, onConnect), 50);
  });
}

/** Writes `chunk` again and again, as fast as the server takes it, until the socket closes. */
function flood(s: net.Socket, chunk: Buffer, stopAt: number): void {
  const pump = (): void => {
    while (!s.destroyed && Date.now() < stopAt) {
      if (!s.write(chunk)) {
        s.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

const preauthLiteral: Attack = (stopAt, sockets) => {
  const junk = Buffer.alloc(64 * 1024, 0x78);
  for (let i = 0; i < CONNECTIONS; i++) {
    keepAttacking(stopAt, sockets, (s) => {
      s.write(`a${i} LOGIN owner@example.org {${64 * MB}}\r\n`);
      flood(s, junk, stopAt);
    });
  }
};

const pipelineNoRead: Attack = (stopAt, sockets) => {
  const lines = Buffer.from('a CAPABILITY\r\n'.repeat(4096));
  for (let i = 0; i < CONNECTIONS; i++) {
    keepAttacking(stopAt, sockets, (s) => {
      s.pause();
      flood(s, lines, stopAt);
    });
  }
};

/** One text piece of the slow senders: 64 KiB of 78-byte lines. */
const PIECE = Buffer.from(`${'x'.repeat(76)}\r\n`.repeat(840), 'latin1');

/** Sends `size` bytes of message text on `s`, paced to end at stopAt (minus a second for the reply). */
async function trickle(s: net.Socket, size: number, stopAt: number): Promise<void> {
  const pieces = Math.max(1, Math.floor(size / PIECE.length));
  const start = Date.now();
  const end = Math.max(start + 1000, stopAt - 1000);
  for (let i = 0; i < pieces && !s.destroyed; i++) {
    if (!s.write(PIECE)) await new Promise((r) => s.once('drain', r));
    const wait = start + ((i + 1) / pieces) * (end - start) - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

/** Resolves once `s` has received text matching `re`. */
function awaitText(s: net.Socket, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      if (re.test(buf)) {
        s.off('data', onData);
        resolve();
      }
    };
    s.on('data', onData);
    s.once('close', () => reject(new Error(`closed before ${re}`)));
  });
}

const imapAppend: Attack = (stopAt, sockets) => {
  const size = Math.floor(SIZE / PIECE.length) * PIECE.length;
  for (let i = 0; i < CONNECTIONS; i++) {
    const s = net.connect(port, '127.0.0.1');
    sockets.add(s);
    s.on('error', () => undefined);
    void (async () => {
      await awaitText(s, /^\* OK/m);
      const loggedIn = awaitText(s, /^l OK/m);
      s.write('l LOGIN owner@example.org owner-password\r\n');
      await loggedIn;
      const go = awaitText(s, /^\+ /m);
      s.write(`a APPEND INBOX {${size}}\r\n`);
      await go;
      await trickle(s, size, stopAt);
      s.write('\r\n');
    })().catch(() => undefined);
  }
};

const jmapUpload: Attack = (stopAt, sockets) => {
  const size = Math.floor(SIZE / PIECE.length) * PIECE.length;
  const auth = Buffer.from('owner@example.org:owner-password').toString('base64');
  for (let i = 0; i < CONNECTIONS; i++) {
    const s = net.connect(port, '127.0.0.1');
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('connect', () => {
      s.write(`POST /upload/owner@example.org HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic ${auth}\r\nContent-Type: message/rfc822\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`);
      void trickle(s, size, stopAt).catch(() => undefined);
    });
  }
};

/** Reads SMTP replies on `s`: resolves with each final reply's code, in order. */
function smtpReplies(s: net.Socket): () => Promise<number> {
  let buf = '';
  const codes: number[] = [];
  const waiters: Array<(code: number) => void> = [];
  s.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let nl: number;
    while ((nl = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 2);
      // Continuation lines ("250-…") are part of one reply; the last has a space after the code.
      if (line[3] === '-') continue;
      const code = Number(line.slice(0, 3));
      const w = waiters.shift();
      if (w) w(code);
      else codes.push(code);
    }
  });
  return () => {
    const c = codes.shift();
    return c !== undefined ? Promise.resolve(c) : new Promise((resolve) => waiters.push(resolve));
  };
}

/**
 * MX sessions (no AUTH) each sending one --size-mb message to a local recipient slowly, over D
 * seconds: in DATA, or (`bdat`) as one BDAT LAST chunk of the message's size.
 */
function mxMessage(bdat: boolean): Attack {
  return (stopAt, sockets) => {
    const head = Buffer.from('Subject: hostile\r\n\r\n');
    const size = Math.floor(SIZE / PIECE.length) * PIECE.length;
    for (let i = 0; i < CONNECTIONS; i++) {
      const s = net.connect(port, '127.0.0.1');
      sockets.add(s);
      s.on('error', () => undefined);
      const next = smtpReplies(s);
      void (async () => {
        const expect = async (code: number, line?: string): Promise<void> => {
          if (line !== undefined) s.write(`${line}\r\n`);
          const got = await next();
          if (got !== code) throw new Error(`expected ${code} to ${line ?? 'greeting'}, got ${got}`);
        };
        await expect(220);
        await expect(250, 'EHLO attacker.example');
        await expect(250, 'MAIL FROM:<a@attacker.example>');
        await expect(250, `RCPT TO:<${MX_RECIPIENT}>`);
        if (bdat) s.write(`BDAT ${head.length + size} LAST\r\n`);
        else await expect(354, 'DATA');
        s.write(head);
        await trickle(s, size, stopAt);
        if (!bdat) s.write('.\r\n');
      })().catch(() => undefined);
    }
  };
}

const ATTACKS: Record<string, Attack> = {
  'mx-data': mxMessage(false),
  'mx-bdat': mxMessage(true),
  'preauth-literal': preauthLiteral,
  'pipeline-no-read': pipelineNoRead,
  'imap-append': imapAppend,
  'jmap-upload': jmapUpload,
};

const attack = ATTACKS[attackName ?? ''];
if (!attack) throw new Error(`unknown attack ${attackName}; known: ${Object.keys(ATTACKS).join(', ')}`);
const stopAt = Date.now() + Number(secondsArg) * 1000;
const sockets = new Set<net.Socket>();
attack(stopAt, sockets);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, stopAt - Date.now())));
for (const s of sockets) s.destroy();
process.exit(0);
