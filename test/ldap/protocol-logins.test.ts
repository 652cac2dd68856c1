// Issue 8 end to end: a full Tessera whose users live in a real slapd (usersrepository.xml with James'
// ReadOnlyUsersLDAPRepository attributes, userIdAttribute=mail) and whose tokens come from a real
// OpenID provider. IMAP, SMTP and JMAP logins with LDAP passwords (checked by binding) and with
// tokens (the user looked up in LDAP), what an LDAP outage looks like to each protocol, recovery after
// slapd restarts, filter-injection names, and the read-only CLI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { runCli } from '../../src/cli/run.js';
import { slapdSkipReason } from '../support/slapd.js';
import { waitFor } from '../support/wait.js';
import { CapturedOutput } from '../server/capture.js';
import {
  basic,
  bearer,
  imapAuthenticate,
  imapLogin,
  jmapSession,
  oauthBearerResponse,
  plainResponse,
  smtpAuthenticate,
  smtpLine,
  xoauth2Response,
} from './e2e-clients.js';
import { startLdapStack, type LdapStack } from './e2e-stack.js';

const skip = slapdSkipReason();

const DOMAIN = 'ldap.test';
const ALICE = { uid: 'alice', password: 'Alice-ldap-pw1', mail: `alice@${DOMAIN}` };
const CAROL = { uid: 'carol', password: 'carol pw with spaces', mail: `carol@${DOMAIN}` };
/**
 * Logs in for the first time while slapd is down: the repository has never looked her up, so no
 * cached answer can stand in for the directory.
 */
const DORA = { uid: 'dora', password: 'Dora-pw-3', mail: `dora@${DOMAIN}` };
/** Known to the OpenID provider only: a valid token for someone LDAP does not have. */
const MALLORY = `mallory@${DOMAIN}`;
/** Like MALLORY, but first seen while slapd is down (a cached "no such user" must not answer for LDAP). */
const TRENT = `trent@${DOMAIN}`;

/** Names that match alice (or everyone) if spliced into a search filter unescaped. */
const INJECTION_NAMES = [
  '*',
  ')(mail=*',
  '*)(mail=*',
  'ali*',
  '*@ldap.test',
  `${ALICE.mail})(mail=*`,
  `${ALICE.mail})(|(mail=*`,
  `*)(|(objectClass=*`,
  '\\2a',
  '\\00',
  '(mail=alice@ldap.test)',
];

const IMAP_INVALID = /^a NO \[AUTHENTICATIONFAILED\]/;
const IMAP_UNAVAILABLE = /^a NO \[UNAVAILABLE\]/;
const SMTP_INVALID = /^535 5\.7\.8 /;
const SMTP_UNAVAILABLE = /^454 4\.7\.0 /;

describe('IMAP, SMTP and JMAP logins against LDAP users, with passwords and tokens', { skip }, () => {
  let stack: LdapStack;

  before(async () => {
    stack = await startLdapStack({
      domain: DOMAIN,
      ldapUsers: [ALICE, CAROL, DORA],
      idpEmails: [ALICE.mail, CAROL.mail, DORA.mail, MALLORY, TRENT],
    });
  });
  after(async () => {
    await stack?.close();
  });

  /** Every token handed to Tessera, to prove none of them reaches the log. */
  const issuedTokens: string[] = [];
  async function token(email: string): Promise<string> {
    const t = await stack.idp.accessToken(email);
    issuedTokens.push(t);
    return t;
  }

  /**
   * A successful login clears the throttle's record of this peer, so that the failures a test
   * provokes on purpose never add up to delays or a lock-out (which answers like an outage).
   */
  async function clearThrottle(): Promise<void> {
    const ok = await jmapSession(stack.jmapUrl, basic(ALICE.mail, ALICE.password));
    assert.equal(ok.status, 200, 'alice logs in to clear the throttle');
  }

  /** On failure, what Tessera logged: the reason an end-to-end login went wrong is usually there. */
  function logTail(): string {
    return stack.log.text().split('\n').slice(-15).join('\n');
  }

  function imapFlow(auth: { user: string; pass?: string; accessToken?: string }): ImapFlow {
    return new ImapFlow({ host: '127.0.0.1', port: stack.imapPort, secure: true, tls: { rejectUnauthorized: false }, auth, logger: false });
  }

  function mailer(auth: { user: string; pass: string } | { type: 'OAuth2'; user: string; accessToken: string }) {
    return nodemailer.createTransport({ host: '127.0.0.1', port: stack.smtpPort, secure: true, tls: { rejectUnauthorized: false }, auth });
  }

  it('IMAP LOGIN and AUTHENTICATE PLAIN accept the LDAP password and answer a wrong one with NO [AUTHENTICATIONFAILED]', async () => {
    assert.match(await imapLogin(stack.imapPort, ALICE.mail, ALICE.password), /^a OK /, logTail());
    assert.match(await imapLogin(stack.imapPort, ALICE.mail, 'not-her-password'), IMAP_INVALID);
    assert.match(await imapAuthenticate(stack.imapPort, 'PLAIN', [plainResponse(ALICE.mail, ALICE.password)]), /^a OK /);
    assert.match(await imapAuthenticate(stack.imapPort, 'PLAIN', [plainResponse(ALICE.mail, 'Alice-ldap-pw')]), IMAP_INVALID);
    // The name is matched the way the directory matches mail (case-insensitively).
    assert.match(await imapLogin(stack.imapPort, ALICE.mail.toUpperCase(), ALICE.password), /^a OK /);

    // A real client: logged in as the LDAP user, with a usable mailbox.
    const client = imapFlow({ user: CAROL.mail, pass: CAROL.password });
    await client.connect();
    try {
      const inbox = await client.mailboxOpen('INBOX');
      assert.equal(inbox.path, 'INBOX');
    } finally {
      await client.logout();
    }
    const wrong = imapFlow({ user: CAROL.mail, pass: 'carol pw with space' });
    await assert.rejects(wrong.connect(), (err: { authenticationFailed?: boolean }) => err.authenticationFailed === true);
    wrong.close();
    await clearThrottle();
  });

  it('SMTP AUTH PLAIN accepts the LDAP password (235) and answers a wrong one with 535 5.7.8', async () => {
    const ok = await smtpAuthenticate(stack.smtpPort, 'PLAIN', [plainResponse(ALICE.mail, ALICE.password)]);
    assert.equal(ok.code, 235, `${ok.text}\n${logTail()}`);
    const bad = await smtpAuthenticate(stack.smtpPort, 'PLAIN', [plainResponse(ALICE.mail, 'wrong')]);
    assert.match(smtpLine(bad), SMTP_INVALID);

    // nodemailer submits as alice to carol, both resolved in LDAP.
    const info = await mailer({ user: ALICE.mail, pass: ALICE.password }).sendMail({
      from: ALICE.mail,
      to: CAROL.mail,
      subject: 'from alice via LDAP',
      text: 'hello carol',
    });
    assert.deepEqual(info.accepted, [CAROL.mail]);
    await assert.rejects(
      mailer({ user: ALICE.mail, pass: 'wrong' }).verify(),
      (err: { responseCode?: number; response?: string }) => err.responseCode === 535 && /5\.7\.8/.test(err.response ?? ''),
    );
    await clearThrottle();
  });

  it('JMAP Basic accepts the LDAP password (200, session of that user) and answers a wrong one with 401', async () => {
    assert.deepEqual(await jmapSession(stack.jmapUrl, basic(ALICE.mail, ALICE.password)), { status: 200, username: ALICE.mail });
    assert.equal((await jmapSession(stack.jmapUrl, basic(ALICE.mail, 'wrong'))).status, 401);
    assert.deepEqual(await jmapSession(stack.jmapUrl, basic(CAROL.mail, CAROL.password)), { status: 200, username: CAROL.mail });
    assert.equal((await jmapSession(stack.jmapUrl, basic(`nobody@${DOMAIN}`, 'whatever'))).status, 401);
    await clearThrottle();
  });

  it('a token for a user LDAP has logs in over IMAP OAUTHBEARER, SMTP XOAUTH2 and JMAP Bearer; one for a user LDAP lacks is refused', async () => {
    // Carol reads with a token the mail alice submitted with her password.
    const client = imapFlow({ user: CAROL.mail, accessToken: await token(CAROL.mail) });
    await client.connect();
    try {
      // Local delivery runs in the background: look again until the mail is there.
      const found = await waitFor('the mail alice sent in carol\'s INBOX', async () => {
        const status = await client.status('INBOX', { messages: true });
        if (!status || (status.messages ?? 0) === 0) return false;
        const lock = await client.getMailboxLock('INBOX');
        try {
          for await (const m of client.fetch('1:*', { envelope: true })) {
            if (m.envelope?.subject === 'from alice via LDAP') return true;
          }
        } finally {
          lock.release();
        }
        return false;
      }, 10_000);
      assert.ok(found, 'carol sees the mail alice sent');
    } finally {
      await client.logout();
    }

    const alice = await token(ALICE.mail);
    assert.match(await imapAuthenticate(stack.imapPort, 'OAUTHBEARER', [oauthBearerResponse(ALICE.mail, alice, stack.imapPort)]), /^a OK /);
    assert.match(await imapAuthenticate(stack.imapPort, 'XOAUTH2', [xoauth2Response(ALICE.mail, alice)]), /^a OK /);
    assert.equal((await smtpAuthenticate(stack.smtpPort, 'XOAUTH2', [xoauth2Response(ALICE.mail, alice)])).code, 235);
    assert.equal((await smtpAuthenticate(stack.smtpPort, 'OAUTHBEARER', [oauthBearerResponse(ALICE.mail, alice, stack.smtpPort)])).code, 235);
    await mailer({ type: 'OAuth2', user: ALICE.mail, accessToken: alice }).verify();
    assert.deepEqual(await jmapSession(stack.jmapUrl, bearer(alice)), { status: 200, username: ALICE.mail });

    // The provider vouches for mallory, but LDAP has no such user.
    const mallory = await token(MALLORY);
    assert.match(await imapAuthenticate(stack.imapPort, 'OAUTHBEARER', [oauthBearerResponse(MALLORY, mallory, stack.imapPort)]), IMAP_INVALID);
    await clearThrottle();
    assert.match(smtpLine(await smtpAuthenticate(stack.smtpPort, 'XOAUTH2', [xoauth2Response(MALLORY, mallory)])), SMTP_INVALID);
    await clearThrottle();
    assert.equal((await jmapSession(stack.jmapUrl, bearer(mallory))).status, 401);
    await clearThrottle();
  });

  it('injection-shaped user names never log in, whatever the protocol, and are not mistaken for an outage', async () => {
    for (const name of INJECTION_NAMES) {
      // Alice's password: if a name's filter matched her entry, the bind would succeed.
      assert.match(await imapLogin(stack.imapPort, name, ALICE.password), IMAP_INVALID, `IMAP LOGIN ${name}`);
      await clearThrottle();
      assert.match(await imapAuthenticate(stack.imapPort, 'PLAIN', [plainResponse(name, ALICE.password)]), IMAP_INVALID, `IMAP PLAIN ${name}`);
      await clearThrottle();
      const smtp = await smtpAuthenticate(stack.smtpPort, 'PLAIN', [plainResponse(name, ALICE.password)]);
      assert.match(smtpLine(smtp), SMTP_INVALID, `SMTP PLAIN ${name}`);
      await clearThrottle();
      assert.equal((await jmapSession(stack.jmapUrl, basic(name, ALICE.password))).status, 401, `JMAP Basic ${name}`);
      await clearThrottle();
      // A token signed by the provider whose email claim is the hostile name: the lookup must miss.
      const forged = await stack.idp.signJwt({ email: name, scope: stack.idp.scope, sub: 'injection' });
      issuedTokens.push(forged);
      assert.equal((await jmapSession(stack.jmapUrl, bearer(forged))).status, 401, `JMAP Bearer email=${name}`);
      await clearThrottle();
    }
  });

  it('tessera user add on the LDAP conf exits 1 saying users are managed in the directory', async () => {
    const stdout = new CapturedOutput();
    const stderr = new CapturedOutput();
    const code = await runCli(['user', 'add', `new@${DOMAIN}`, '--conf', stack.confDir, '--password', 'New-pw-123'], {
      stdout,
      stderr,
      stdin: Readable.from([]),
      env: {},
    });
    assert.equal(code, 1, stderr.text());
    assert.match(stderr.text(), /LDAP/);
    assert.match(stderr.text(), /managed in the directory|read-only|only reads/i);
    assert.doesNotMatch(stderr.text(), /\n\s+at /, 'no stack trace');
    // Nothing was added anywhere: the name still does not log in.
    assert.equal((await jmapSession(stack.jmapUrl, basic(`new@${DOMAIN}`, 'New-pw-123'))).status, 401);
    await clearThrottle();
  });

  it('tessera user list on the LDAP conf lists the directory users', async () => {
    const stdout = new CapturedOutput();
    const stderr = new CapturedOutput();
    const code = await runCli(['user', 'list', '--conf', stack.confDir], { stdout, stderr, stdin: Readable.from([]), env: {} });
    assert.equal(code, 0, stderr.text());
    const listed = stdout.text().trim().split('\n');
    assert.ok(listed.includes(ALICE.mail.toLowerCase()), `alice is listed: ${stdout.text()}`);
  });

  it('with slapd stopped, logins fail as temporary (IMAP NO [UNAVAILABLE], SMTP 454 4.7.0, JMAP 503), never as a wrong password', async () => {
    await stack.slapd.stop();
    // Right and wrong passwords alike: without the directory, Tessera cannot tell them apart.
    for (const password of [ALICE.password, 'wrong']) {
      assert.match(await imapLogin(stack.imapPort, ALICE.mail, password), IMAP_UNAVAILABLE, `IMAP LOGIN (${password})`);
      assert.match(await imapAuthenticate(stack.imapPort, 'PLAIN', [plainResponse(ALICE.mail, password)]), IMAP_UNAVAILABLE);
      assert.match(smtpLine(await smtpAuthenticate(stack.smtpPort, 'PLAIN', [plainResponse(ALICE.mail, password)])), SMTP_UNAVAILABLE);
      assert.equal((await jmapSession(stack.jmapUrl, basic(ALICE.mail, password))).status, 503);
    }
    assert.match(await imapLogin(stack.imapPort, DORA.mail, DORA.password), IMAP_UNAVAILABLE);

    // Valid tokens whose user the repository must ask LDAP about.
    for (const email of [DORA.mail, TRENT]) {
      const valid = await token(email);
      assert.match(await imapAuthenticate(stack.imapPort, 'OAUTHBEARER', [oauthBearerResponse(email, valid, stack.imapPort)]), IMAP_UNAVAILABLE, `IMAP ${email}`);
      assert.match(smtpLine(await smtpAuthenticate(stack.smtpPort, 'XOAUTH2', [xoauth2Response(email, valid)])), SMTP_UNAVAILABLE, `SMTP ${email}`);
      assert.equal((await jmapSession(stack.jmapUrl, bearer(valid))).status, 503, `JMAP ${email}`);
    }
  });

  it('after slapd restarts, password and token logins work again at once', async () => {
    // Started here rather than in the previous test so that a failure there cannot leave it down.
    await stack.slapd.start();
    const dora = await token(DORA.mail);
    assert.match(await imapLogin(stack.imapPort, ALICE.mail, ALICE.password), /^a OK /, logTail());
    assert.match(await imapAuthenticate(stack.imapPort, 'OAUTHBEARER', [oauthBearerResponse(DORA.mail, dora, stack.imapPort)]), /^a OK /);
    assert.equal((await smtpAuthenticate(stack.smtpPort, 'PLAIN', [plainResponse(ALICE.mail, ALICE.password)])).code, 235);
    assert.equal((await smtpAuthenticate(stack.smtpPort, 'XOAUTH2', [xoauth2Response(DORA.mail, dora)])).code, 235);
    assert.deepEqual(await jmapSession(stack.jmapUrl, basic(DORA.mail, DORA.password)), { status: 200, username: DORA.mail });
    assert.deepEqual(await jmapSession(stack.jmapUrl, bearer(dora)), { status: 200, username: DORA.mail });

    // Definite answers are back too: a wrong password is wrong again, an unknown token user unknown.
    assert.match(await imapLogin(stack.imapPort, ALICE.mail, 'wrong'), IMAP_INVALID);
    await clearThrottle();
    assert.match(smtpLine(await smtpAuthenticate(stack.smtpPort, 'PLAIN', [plainResponse(ALICE.mail, 'wrong')])), SMTP_INVALID);
    await clearThrottle();
    assert.equal((await jmapSession(stack.jmapUrl, bearer(await token(TRENT)))).status, 401);
    await clearThrottle();
  });

  it('never writes a password, the LDAP service credentials or a token to the log', () => {
    const log = stack.log.text();
    assert.ok(log.includes('"event":"auth"'), 'the audit lines are in the captured log');
    for (const secret of [ALICE.password, CAROL.password, DORA.password, stack.slapd.servicePassword]) {
      assert.equal(log.includes(secret), false, `a password is in the log`);
    }
    assert.ok(issuedTokens.length > 10);
    for (const t of issuedTokens) {
      // The signature part alone is enough to replay nothing, but no part of a token belongs in a log.
      assert.equal(log.includes(t.split('.')[2] ?? t), false, 'a token is in the log');
    }
  });
});
