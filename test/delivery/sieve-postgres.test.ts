// Sieve at delivery on the PostgreSQL engine, which keeps no file of a stored message: a delivery to
// several local recipients shares one spooled copy, which the first recipient's store write takes.
// Later recipients' scripts must still read it (body tests, editheader).
// Skipped without PostgreSQL (a failure under CI=true).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { DOMAIN, startHarness, type SmtpHarness } from '../smtp/harness.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { createTestSchema, dropSharedDatabase, postgresUnavailable, type TestSchema } from '../support/postgres.js';
import { withDeadline } from '../support/wait.js';

const unavailable = await postgresUnavailable();
const USERS = [`ann@${DOMAIN}`, `ben@${DOMAIN}`, `cid@${DOMAIN}`];

describe('Sieve on PostgreSQL, several local recipients of one large message', { skip: unavailable ?? false }, () => {
  let smtp: SmtpHarness;
  let db: TestSchema;

  before(async () => {
    db = await createTestSchema();
    smtp = await startHarness({
      startWorker: false,
      users: Object.fromEntries(USERS.map((u) => [u, `${u}-password`])),
      openStore: (_dir, events, logger) => openPostgresStore({ url: db.url, schema: db.schema, poolSize: 4, events, logger }),
    });
    for (const u of USERS) await smtp.store.ensureAccount(u);
  });

  after(async () => {
    await smtp?.close();
    await db?.drop();
    await dropSharedDatabase();
  });

  it('runs body tests and editheader for every recipient, the first and the later ones', async () => {
    // The first recipient files the shared copy itself (the store takes it); the later ones edit it.
    const script = (k: number): string =>
      `require ["body", "editheader", "fileinto", "mailbox"]; ${k > 0 ? `addheader "X-Seen-By" "rcpt${k}";` : ''} if body :contains "needle-at-the-end" { fileinto :create "Found"; }`;
    for (const [k, u] of USERS.entries()) {
      await smtp.store.putSieveScript(u, 'main', script(k));
      await smtp.store.setActiveSieveScript(u, 'main');
    }
    // Over the 64 KiB held in memory: a spool file, taken by the first recipient's store write.
    const body = `${Array.from({ length: 6000 }, (_, i) => `line ${i} ${'q'.repeat(40)}`).join('\r\n')}\r\nneedle-at-the-end\r\n`;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
    try {
      await withDeadline(transport.sendMail({ from: 'someone@elsewhere.example', to: USERS, subject: 'large for three', text: body }), 30_000, 'SMTP delivery');
    } finally {
      transport.close();
    }
    for (const [k, u] of USERS.entries()) {
      const found = await smtp.store.findMailboxByPath(u, 'Found');
      assert.ok(found, `${u}'s body test matched and filed the message`);
      const filed = await Promise.all((await smtp.store.snapshot(u, found.id)).messages.map(async (m) => (await smtp.store.readMessage(u, m.emailId))!.toString('utf8')));
      const copy = filed.find((m) => /Subject: large for three/.test(m));
      assert.ok(copy, `${u} has the message in Found`);
      if (k > 0) assert.match(copy, new RegExp(`^X-Seen-By: rcpt${k}\r\n`));
      else assert.doesNotMatch(copy, /X-Seen-By/);
      assert.ok(copy.includes('needle-at-the-end'));
    }
  });
});
