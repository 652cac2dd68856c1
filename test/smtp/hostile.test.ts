// Bad input: each gets its protocol reply, nothing half-received is stored, and the server keeps
// serving other sessions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RawSmtpClient } from './raw-client.js';
import { DOMAIN, inboxMessages, startHarness, type SmtpHarness } from './harness.js';
import { waitFor } from '../support/wait.js';

const BOB = `bob@${DOMAIN}`;
let h: SmtpHarness;
before(async () => {
  h = await startHarness({ startWorker: false, limits: { maxErrors: 20 } });
});
after(async () => {
  await h.close();
});

async function connect(port = h.port): Promise<RawSmtpClient> {
  const { client } = await RawSmtpClient.connect(port);
  return client;
}

/**
 * A session greeted with 220, once the server has a free connection slot for this address: refused
 * attempts (421) are closed and tried again until the deadline.
 */
async function connectWhenSlotFree(port: number): Promise<RawSmtpClient> {
  return waitFor('a free connection slot', async () => {
    const { client, greeting } = await RawSmtpClient.connect(port);
    if (greeting.code === 220) return client;
    await client.closed;
    return undefined;
  });
}

/** Whether a TCP connection to the port is refused (the listener is closed). */
function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Another session still gets a full transaction through. */
async function serverStillServes(): Promise<void> {
  const c = await connect();
  assert.equal((await c.command('EHLO ok')).code, 250);
  assert.equal((await c.command('NOOP')).code, 250);
  assert.equal((await c.command('QUIT')).code, 221);
}

test('a 10 MB line gets 500 5.5.6 and the session continues', async () => {
  const c = await connect();
  const block = Buffer.alloc(1024 * 1024, 0x41);
  for (let i = 0; i < 10; i++) c.write(block);
  c.write('\r\n');
  assert.match((await c.read()).text, /^500 5\.5\.6/);
  assert.equal((await c.command('EHLO after')).code, 250);
  c.close();
  await serverStillServes();
});

test('bare LF, NUL bytes and invalid UTF-8 in commands are refused', async () => {
  const c = await connect();
  c.write('EHLO bare\n');
  assert.match((await c.read()).text, /^500 5\.5\.2 Lines must end with CRLF/);
  c.write('EHLO a\x00b\r\n');
  assert.match((await c.read()).text, /^500 5\.5\.2 NUL/);
  c.write(Buffer.from([0x45, 0x48, 0x4c, 0x4f, 0x20, 0xc3, 0x28, 0x0d, 0x0a]));
  assert.match((await c.read()).text, /^500 5\.5\.2/);
  assert.equal((await c.command('EHLO fine')).code, 250);
  c.close();
});

test('NUL bytes inside DATA are refused with 554 and nothing is stored', async () => {
  const before = (await inboxMessages(h.store, BOB)).length;
  const c = await connect();
  await c.command('EHLO me');
  await c.command('MAIL FROM:<a@b.example>');
  await c.command(`RCPT TO:<${BOB}>`);
  await c.command('DATA');
  assert.match((await c.command('Subject: nul\r\n\r\na\x00b\r\n.')).text, /^554 5\.6\.0/);
  assert.equal((await inboxMessages(h.store, BOB)).length, before);
  c.close();
});

test('bare LF in DATA cannot end the message early (no smuggling)', async () => {
  const c = await connect();
  await c.command('EHLO me');
  await c.command('MAIL FROM:<a@b.example>');
  await c.command(`RCPT TO:<${BOB}>`);
  await c.command('DATA');
  c.write('Subject: smuggle\r\n\r\nhello\n.\nMAIL FROM:<evil@x.example>\r\n.\r\n');
  assert.equal((await c.read()).code, 250);
  assert.equal((await c.command('NOOP')).code, 250);
  const stored = (await inboxMessages(h.store, BOB)).find((m) => m.includes('Subject: smuggle'))!;
  assert.ok(stored.includes('hello\r\n.\r\nMAIL FROM:<evil@x.example>\r\n'));
  c.close();
});

test('10,000 RCPT commands: the first 100 accepted, the rest 452 4.5.3, and the message still goes', async () => {
  const other = await startHarness({ startWorker: false, config: { authorizedAddresses: ['127.0.0.1/32'] } });
  try {
    const c = await connect(other.port);
    await c.command('EHLO me');
    await c.command('MAIL FROM:<a@b.example>');
    let batch = '';
    for (let i = 0; i < 10_000; i++) batch += `RCPT TO:<r${i}@remote.example>\r\n`;
    c.write(batch);
    const replies = [];
    for (let i = 0; i < 10_000; i++) replies.push(await c.read());
    assert.ok(replies.slice(0, 100).every((r) => r.code === 250));
    assert.ok(replies.slice(100).every((r) => /^452 4\.5\.3/.test(r.text)));
    assert.equal((await c.command('DATA')).code, 354);
    assert.equal((await c.command('Subject: x\r\n\r\ny\r\n.')).code, 250);
    const [item] = await other.store.listOutbound();
    assert.equal(item!.recipients.length, 100);
    c.close();
    await serverStillServes();
  } finally {
    await other.close();
  }
});

test('a recipient repeated in one transaction is accepted once and delivered once', async () => {
  const before = (await inboxMessages(h.store, BOB)).length;
  const c = await connect();
  await c.command('EHLO me');
  await c.command('MAIL FROM:<a@b.example>');
  let batch = '';
  for (let i = 0; i < 500; i++) batch += `RCPT TO:<${BOB}>\r\n`;
  c.write(batch);
  for (let i = 0; i < 500; i++) assert.equal((await c.read()).code, 250);
  await c.command('DATA');
  assert.equal((await c.command('Subject: once\r\n\r\nx\r\n.')).code, 250);
  assert.equal((await inboxMessages(h.store, BOB)).length, before + 1);
  c.close();
});

test('unknown recipients count as errors: a directory harvest is cut off with 421', async () => {
  const c = await connect();
  await c.command('EHLO me');
  await c.command('MAIL FROM:<a@b.example>');
  let batch = '';
  for (let i = 0; i < 100; i++) batch += `RCPT TO:<guess${i}@${DOMAIN}>\r\n`;
  c.write(batch);
  const codes: number[] = [];
  for (;;) {
    try {
      codes.push((await c.read()).code);
    } catch {
      break;
    }
  }
  assert.equal(codes.at(-1), 421);
  assert.equal(codes.filter((x) => x === 550).length, 20);
});

test('pipelined garbage: 500s until the error limit, then 421 and close; others unaffected', async () => {
  const c = await connect();
  let junk = '';
  for (let i = 0; i < 100; i++) junk += `GARBAGE ${i} \u0001\r\n`;
  c.write(junk);
  const codes: number[] = [];
  for (;;) {
    try {
      codes.push((await c.read()).code);
    } catch {
      break;
    }
  }
  assert.equal(codes.at(-1), 421);
  assert.ok(codes.slice(0, -1).every((x) => x === 500));
  await c.closed;
  await serverStillServes();
});

test('a client that disconnects in the middle of DATA leaves nothing stored or queued', async () => {
  // One connection per address: the next session is greeted only once the server has let go of the
  // cut one, which is when to look at the store.
  const other = await startHarness({ startWorker: false, config: { connectionLimitPerIP: 1 } });
  try {
    const c = await connect(other.port);
    await c.command('EHLO me');
    await c.command('MAIL FROM:<a@b.example>');
    await c.command(`RCPT TO:<${BOB}>`);
    await c.command('DATA');
    await c.send('Subject: cut\r\n\r\npartial body\r\n');
    c.close();
    await c.closed;
    const next = await connectWhenSlotFree(other.port);
    assert.deepEqual(await inboxMessages(other.store, BOB), []);
    assert.deepEqual(await other.store.listOutbound(), []);
    assert.equal((await next.command('EHLO ok')).code, 250);
    assert.equal((await next.command('QUIT')).code, 221);
  } finally {
    await other.close();
  }
});

test('connection limits: total and per IP answer 421', async () => {
  const other = await startHarness({ startWorker: false, config: { connectionLimitPerIP: 2 } });
  try {
    const a = await connect(other.port);
    const b = await connect(other.port);
    const { client: c, greeting } = await RawSmtpClient.connect(other.port);
    assert.match(greeting.text, /^421 4\.7\.0/);
    await c.closed;
    a.close();
    const again = await connectWhenSlotFree(other.port);
    again.close();
    b.close();
  } finally {
    await other.close();
  }
});

test('idle timeout closes with 421 4.4.2', async () => {
  const other = await startHarness({ startWorker: false, config: { timeout: 1 } });
  try {
    const c = await connect(other.port);
    assert.match((await c.read()).text, /^421 4\.4\.2/);
    await c.closed;
  } finally {
    await other.close();
  }
});

test('graceful stop: idle sessions get 421 4.3.2', async () => {
  const other = await startHarness({ startWorker: false });
  const c = await connect(other.port);
  await c.command('EHLO me');
  const closing = other.close();
  assert.match((await c.read()).text, /^421 4\.3\.2/);
  await closing;
});

test('graceful stop lets a message in progress finish: 250, then 421', async () => {
  const other = await startHarness({ startWorker: false });
  const c = await connect(other.port);
  await c.command('EHLO me');
  await c.command('MAIL FROM:<a@b.example>');
  await c.command(`RCPT TO:<${BOB}>`);
  await c.command('DATA');
  c.write('Subject: in flight\r\n\r\nfirst half\r\n');
  const stopping = other.server.stop(new Date(Date.now() + 5000));
  await waitFor('the listener to close', () => refusesConnections(other.port), 5000);
  c.write('second half\r\n.\r\n');
  assert.equal((await c.read()).code, 250);
  assert.match((await c.read()).text, /^421 4\.3\.2/);
  await stopping;
  assert.ok((await inboxMessages(other.store, BOB)).some((m) => m.includes('second half')));
  await other.close();
});
