// WebAdmin over HTTP against a whole running Tessera (test/e2e/harness.ts): every route of the table
// is driven and the test fails if one was not (coverage is compared with the served OpenAPI document,
// which is itself validated); authentication (no token, a foreign key, a non-admin JWT, OIDC tokens of
// an administrator and of a user), CORS, and effects seen by real clients: an IMAP login with a
// password set over WebAdmin, SMTP 552 once a quota set over WebAdmin is reached, an IMAP connection
// closed when its session is ended over WebAdmin.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import { SignJWT } from 'jose';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { listenerPort } from '../support/tessera-conf.js';
import { waitFor, withDeadline } from '../support/wait.js';
import { DOMAIN, JmapClient, startTessera, writeE2eConf, type E2eConf, type E2eServer } from '../e2e/harness.js';
import { imapConnect, submit } from '../e2e/clients.js';
import { RawClient } from '../imap/raw-client.js';
import { storeResource } from '../../src/server/protocols.js';

const ALICE = `alice@${DOMAIN}`;
const ALICE_PW = 'alice-webadmin-secret';
const BOSS = `boss@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;
let base: string;
let adminToken: string;
let key: KeyObject;

/** Every (method, route pattern) a test drove, compared with the OpenAPI document at the end. */
const driven = new Set<string>();

async function jwt(claims: Record<string, unknown>, signer: KeyObject = key): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).setIssuedAt().setExpirationTime('10m').sign(signer);
}

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * Calls `method pattern` with `{name}` replaced by `params` (percent-encoded), as the administrator
 * unless `token` says otherwise (null: no Authorization header).
 */
async function call(
  method: string,
  pattern: string,
  options: { params?: Record<string, string>; query?: string; body?: unknown; rawBody?: string; token?: string | null; headers?: Record<string, string> } = {},
): Promise<Answer> {
  driven.add(`${method} ${pattern}`);
  const path = pattern.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(options.params?.[name] ?? assert.fail(`no value for {${name}}`)));
  const token = options.token === undefined ? adminToken : options.token;
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}${path}${options.query ? `?${options.query}` : ''}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

function assertJamesError(answer: Answer, status: number): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  const body = answer.body as { statusCode: number; type: string; message: string };
  assert.equal(body.statusCode, status);
  assert.equal(typeof body.type, 'string');
  assert.equal(typeof body.message, 'string');
}

before(async () => {
  idp = await startTestIdp({ users: [{ email: ALICE }, { email: BOSS }] });
  conf = await writeE2eConf(idp);
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  key = pair.privateKey;
  await writeFile(join(conf.confDir, 'jwt_publickey'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(
    join(conf.confDir, 'webadmin.properties'),
    ['enabled=true', 'host=127.0.0.1', 'port=0', 'jwt.enabled=true', 'oidc.enabled=true', 'cors.enable=true', 'cors.origin=https://console.example', 'extensions.routes=org.example.Routes', ''].join('\n'),
  );
  await writeFile(
    join(conf.confDir, 'usersrepository.xml'),
    `<usersrepository name="LocalUsers" class="embedded">
  <enableVirtualHosting>true</enableVirtualHosting>
  <administratorId>${BOSS}</administratorId>
</usersrepository>\n`,
  );
  srv = await startTessera(conf);
  await srv.running.context.users.add(ALICE, ALICE_PW);
  await srv.running.context.users.add(BOSS, 'boss-secret-password');
  base = `http://127.0.0.1:${listenerPort(srv.running, 'webadmin')}`;
  adminToken = await jwt({ sub: 'admin@open-paas.org', admin: true });
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

describe('WebAdmin', () => {
  it('warns about the James key it ignores', () => {
    assert.match(srv.log.text(), /extensions\.routes/);
  });

  it('refuses requests without a valid administrator token', async () => {
    const none = await call('GET', '/domains', { token: null });
    assertJamesError(none, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    assertJamesError(await call('GET', '/domains', { token: 'not-a-jwt' }), 401);
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assertJamesError(await call('GET', '/domains', { token: await jwt({ sub: 'admin', admin: true }, stranger) }), 401);
    assertJamesError(await call('GET', '/domains', { token: await jwt({ sub: 'someone' }) }), 403);
    assertJamesError(await call('GET', '/domains', { token: await jwt({ sub: 'someone', admin: false }) }), 403);
  });

  it('takes OIDC tokens of a usersrepository.xml administrator, and refuses those of other users', async () => {
    assertJamesError(await call('GET', '/users', { token: await idp.accessToken(ALICE) }), 403);
    const asBoss = await call('GET', '/users', { token: await idp.accessToken(BOSS) });
    assert.equal(asBoss.status, 200);
  });

  it('answers CORS preflights and marks answers for the configured origin', async () => {
    const res = await fetch(`${base}/users`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://console.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'authorization, content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://console.example');
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /PUT/);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
    const plain = await call('GET', '/domains', { headers: { Origin: 'https://console.example' } });
    assert.equal(plain.headers.get('access-control-allow-origin'), 'https://console.example');
  });

  it('answers 404 for unknown paths and 405 with Allow for other methods', async () => {
    assertJamesError(await fetch(`${base}/nothing/here`, { headers: { Authorization: `Bearer ${adminToken}` } }).then(async (r) => ({ status: r.status, headers: r.headers, body: await r.json() })), 404);
    const res = await fetch(`${base}/domains`, { method: 'POST', headers: { Authorization: `Bearer ${adminToken}` } });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET');
  });

  it('refuses hostile requests with a clear error and keeps serving', async () => {
    const big = await call('PUT', '/users/{username}', { params: { username: `big@${DOMAIN}` }, rawBody: JSON.stringify({ password: 'x'.repeat(100_000) }) });
    assertJamesError(big, 413);
    const badPath = await fetch(`${base}/domains/%E0%A4%A`, { headers: { Authorization: `Bearer ${adminToken}` } });
    assert.equal(badPath.status, 400);
    assertJamesError(await call('PUT', '/users/{username}', { params: { username: `empty@${DOMAIN}` }, rawBody: '' }), 400);
    assertJamesError(await call('GET', '/domains', { token: 'x'.repeat(15_000) }), 401);
    assert.equal((await call('GET', '/domains', { token: 'x'.repeat(20_000) })).status, 431, "Node's header limit");
    assert.equal((await call('GET', '/domains')).status, 200, 'still serving');
  });

  it('/domains: list, add, test, remove', async () => {
    assert.deepEqual((await call('GET', '/domains')).body, [DOMAIN]);
    assert.equal((await call('PUT', '/domains/{domainName}', { params: { domainName: 'new.test' } })).status, 204);
    assert.equal((await call('PUT', '/domains/{domainName}', { params: { domainName: 'new.test' } })).status, 204, 'idempotent');
    assert.deepEqual(((await call('GET', '/domains')).body as string[]).sort(), [DOMAIN, 'new.test'].sort());
    assert.equal((await call('GET', '/domains/{domainName}', { params: { domainName: 'new.test' } })).status, 204);
    assertJamesError(await call('PUT', '/domains/{domainName}', { params: { domainName: 'bad..name' } }), 400);
    assertJamesError(await call('DELETE', '/domains/{domainName}', { params: { domainName: DOMAIN } }), 409);
    assert.equal((await call('DELETE', '/domains/{domainName}', { params: { domainName: 'new.test' } })).status, 204);
    assertJamesError(await call('GET', '/domains/{domainName}', { params: { domainName: 'new.test' } }), 404);
  });

  it('/users: create, refuse a second create, change the password with ?force, test, remove', async () => {
    assert.equal((await call('PUT', '/users/{username}', { params: { username: BOB }, body: { password: 'first-password' } })).status, 204);
    assertJamesError(await call('PUT', '/users/{username}', { params: { username: BOB }, body: { password: 'again' } }), 409);
    assertJamesError(await call('PUT', '/users/{username}', { params: { username: BOB }, body: { secret: 'x' } }), 400);
    assertJamesError(await call('PUT', '/users/{username}', { params: { username: BOB }, rawBody: '{not json' }), 400);
    assertJamesError(await call('PUT', '/users/{username}', { params: { username: 'carol@nowhere.test' }, body: { password: 'pw-pw-pw' } }), 400);
    assert.equal((await call('PUT', '/users/{username}', { params: { username: BOB }, query: 'force', body: { password: 'second-password' } })).status, 204);
    const imap = await imapConnect(srv.endpoints.imap, { user: BOB, pass: 'second-password' });
    await imap.logout();
    await assert.rejects(imapConnect(srv.endpoints.imap, { user: BOB, pass: 'first-password' }));
    assert.equal((await call('HEAD', '/users/{username}', { params: { username: BOB } })).status, 200);
    assert.equal((await call('HEAD', '/users/{username}', { params: { username: `nobody@${DOMAIN}` } })).status, 404);
    const list = (await call('GET', '/users')).body as Array<{ username: string }>;
    assert.ok(list.some((u) => u.username === BOB), JSON.stringify(list));
    assert.equal((await call('DELETE', '/users/{username}', { params: { username: BOB } })).status, 204);
    assert.equal((await call('HEAD', '/users/{username}', { params: { username: BOB } })).status, 404);
    assert.equal((await call('DELETE', '/users/{username}', { params: { username: BOB } })).status, 204, 'idempotent');
  });

  it('/groups: add and remove members, list groups and members, remove a group', async () => {
    const carol = `carol@${DOMAIN}`;
    assert.equal((await call('PUT', '/users/{username}', { params: { username: carol }, body: { password: 'carol-password' } })).status, 204);
    const member = (method: string, group: string, username: string) => call(method, '/groups/{group}/members/{username}', { params: { group, username } });
    assert.equal((await member('PUT', 'Support', carol)).status, 204);
    assert.equal((await member('PUT', 'support', carol)).status, 204, 'idempotent');
    assert.equal((await member('PUT', 'sales', carol)).status, 204);
    assertJamesError(await member('PUT', 'support', `nobody@${DOMAIN}`), 404);
    assertJamesError(await member('PUT', '$support', carol), 400);
    assert.deepEqual((await call('GET', '/groups')).body, ['sales', 'support']);
    assert.deepEqual((await call('GET', '/groups/{group}', { params: { group: 'SUPPORT' } })).body, [carol]);
    assertJamesError(await call('GET', '/groups/{group}', { params: { group: 'nobody' } }), 404);
    assert.equal((await member('DELETE', 'support', carol)).status, 204);
    assert.equal((await member('DELETE', 'support', carol)).status, 204, 'idempotent');
    assertJamesError(await call('GET', '/groups/{group}', { params: { group: 'support' } }), 404);
    assert.equal((await call('DELETE', '/groups/{group}', { params: { group: 'sales' } })).status, 204);
    assert.equal((await call('DELETE', '/groups/{group}', { params: { group: 'sales' } })).status, 204, 'idempotent');
    assert.deepEqual((await call('GET', '/groups')).body, []);
    assert.equal((await call('DELETE', '/users/{username}', { params: { username: carol } })).status, 204);
  });

  it('/users/{username}/mailboxes: create, list, test, delete one and all', async () => {
    const u = { username: ALICE };
    assert.equal((await call('PUT', '/users/{username}/mailboxes/{mailboxName}', { params: { ...u, mailboxName: 'Projects.2026' } })).status, 204);
    const names = ((await call('GET', '/users/{username}/mailboxes', { params: u })).body as Array<{ mailboxName: string }>).map((m) => m.mailboxName);
    assert.ok(names.includes('INBOX') && names.includes('Projects') && names.includes('Projects.2026'), names.join(','));
    // The same mailbox as an IMAP client sees it.
    const imap = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW });
    assert.ok((await imap.list()).some((m) => m.path === 'Projects/2026'));
    await imap.logout();
    assert.equal((await call('GET', '/users/{username}/mailboxes/{mailboxName}', { params: { ...u, mailboxName: 'Projects.2026' } })).status, 204);
    assert.equal((await call('DELETE', '/users/{username}/mailboxes/{mailboxName}', { params: { ...u, mailboxName: 'Projects' } })).status, 204);
    assertJamesError(await call('GET', '/users/{username}/mailboxes/{mailboxName}', { params: { ...u, mailboxName: 'Projects.2026' } }), 404);
    assertJamesError(await call('GET', '/users/{username}/mailboxes', { params: { username: `nobody@${DOMAIN}` } }), 404);
    assertJamesError(await call('DELETE', '/users/{username}/mailboxes/{mailboxName}', { params: { ...u, mailboxName: 'INBOX' } }), 409);
    assert.equal((await call('PUT', '/users/{username}/mailboxes/{mailboxName}', { params: { ...u, mailboxName: 'Old' } })).status, 204);
    assert.equal((await call('PUT', '/users/{username}/mailboxes/{mailboxName}', { params: { ...u, mailboxName: 'INBOX.Sub' } })).status, 204);
    assert.equal((await call('DELETE', '/users/{username}/mailboxes', { params: u })).status, 204);
    const left = ((await call('GET', '/users/{username}/mailboxes', { params: u })).body as Array<{ mailboxName: string }>).map((m) => m.mailboxName);
    assert.deepEqual(left, ['INBOX'], 'everything but INBOX is gone');
  });

  it('/quota/users: James shape, limits enforced by SMTP (552) once set', async () => {
    const u = { username: ALICE };
    const initial = (await call('GET', '/quota/users/{username}', { params: u })).body as Record<string, unknown>;
    assert.deepEqual(initial['global'], { count: -1, size: -1 });
    assert.equal(initial['user'], undefined);
    assert.equal((await call('GET', '/quota/users/{username}/count', { params: u })).status, 204);
    assert.equal((await call('PUT', '/quota/users/{username}', { params: u, body: { count: 1, size: null } })).status, 204);
    assert.equal((await call('GET', '/quota/users/{username}/count', { params: u })).body, 1);
    assertJamesError(await call('PUT', '/quota/users/{username}/count', { params: u, body: 0 }), 400);

    const mail = (n: number) => ({ from: `s${n}@elsewhere.test`, to: ALICE, subject: `quota ${n}`, text: 'x', messageId: `<${randomUUID()}@elsewhere.test>` });
    const used = (((await call('GET', '/quota/users/{username}', { params: u })).body as { occupation: { count: number } }).occupation.count);
    if (used === 0) assert.deepEqual((await submit({ port: srv.endpoints.smtpMx }, mail(1))).rejected, []);
    await assert.rejects(submit({ port: srv.endpoints.smtpMx }, mail(2)), (err: Error & { responseCode?: number }) => err.responseCode === 552);
    const full = (await call('GET', '/quota/users/{username}', { params: u })).body as { user: unknown; computed: unknown; occupation: { count: number; ratio: { count: number } } };
    assert.deepEqual(full.user, { count: 1, size: null }, 'James: a limit the user level does not set is null');
    assert.deepEqual(full.computed, { count: 1, size: -1 });
    assert.equal(full.occupation.count, 1);
    assert.equal(full.occupation.ratio.count, 1);

    assert.equal((await call('PUT', '/quota/users/{username}/size', { params: u, body: 10_000_000 })).status, 204);
    assert.equal((await call('GET', '/quota/users/{username}/size', { params: u })).body, 10_000_000);
    assert.equal((await call('PUT', '/quota/users/{username}/count', { params: u, body: -1 })).status, 204);
    assert.equal((await call('DELETE', '/quota/users/{username}/size', { params: u })).status, 204);
    assert.equal((await call('DELETE', '/quota/users/{username}/count', { params: u })).status, 204);
    assert.equal((await call('GET', '/quota/users/{username}/size', { params: u })).status, 204, 'back to the defaults');
    assert.deepEqual((await submit({ port: srv.endpoints.smtpMx }, mail(3))).rejected, [], 'unlimited again');
    assertJamesError(await call('GET', '/quota/users/{username}', { params: { username: `nobody@${DOMAIN}` } }), 404);
  });

  it("/quota/domains and /quota: a user without limits of her own is held to her domain's, else the server's (IMAP APPEND and GETQUOTAROOT, SMTP, JMAP)", async () => {
    const dora = `dora@${DOMAIN}`;
    const doraPw = 'dora-webadmin-secret';
    await srv.running.context.users.add(dora, doraPw);
    const d = { domainName: DOMAIN };
    const u = { username: dora };
    const smtpCode = async (n: number): Promise<number> => {
      const mail = { from: `q${n}@elsewhere.test`, to: dora, subject: `levels ${n}`, text: 'x', messageId: `<${randomUUID()}@elsewhere.test>` };
      try {
        await submit({ port: srv.endpoints.smtpMx }, mail);
        return 250;
      } catch (err) {
        return (err as { responseCode?: number }).responseCode ?? -1;
      }
    };
    const imapAppend = async (): Promise<string> => {
      const imap = await imapConnect(srv.endpoints.imap, { user: dora, pass: doraPw });
      try {
        await imap.append('INBOX', Buffer.from(`From: ${dora}\r\nTo: ${dora}\r\nSubject: appended\r\nMessage-ID: <${randomUUID()}@x>\r\n\r\nbody\r\n`));
        return 'OK';
      } catch (err) {
        return (err as { serverResponseCode?: string }).serverResponseCode ?? String(err);
      } finally {
        await imap.logout();
      }
    };
    /** JMAP Email/import of a fresh message into INBOX: 'created', or the SetError type. */
    const jmapImport = async (): Promise<string> => {
      const jmap = JmapClient.basic(srv.endpoints.jmap, dora, doraPw);
      const { accountId, body } = await jmap.session();
      const raw = `From: ${dora}\r\nTo: ${dora}\r\nSubject: imported\r\nMessage-ID: <${randomUUID()}@x>\r\n\r\nbody\r\n`;
      const uploadUrl = String(body['uploadUrl']).replace('{accountId}', encodeURIComponent(accountId));
      const uploaded = await fetch(uploadUrl, { method: 'POST', headers: { Authorization: jmap.authorization, 'Content-Type': 'message/rfc822' }, body: raw });
      assert.equal(uploaded.status, 201, await uploaded.clone().text());
      const { blobId } = (await uploaded.json()) as { blobId: string };
      const boxes = (await jmap.one('Mailbox/get', { accountId, properties: ['role'] }))['list'] as Array<{ id: string; role: string | null }>;
      const inboxId = boxes.find((b) => b.role === 'inbox')!.id;
      const imported = await jmap.one('Email/import', { accountId, emails: { e1: { blobId, mailboxIds: { [inboxId]: true } } } });
      const refused = (imported['notCreated'] as Record<string, { type: string }> | null | undefined)?.['e1'];
      return refused ? refused.type : 'created';
    };
    const imapMessageLimit = async (): Promise<number | undefined> => {
      const imap = await imapConnect(srv.endpoints.imap, { user: dora, pass: doraPw });
      try {
        const quota = await imap.getQuota('INBOX');
        return quota ? quota.message?.limit : undefined;
      } finally {
        await imap.logout();
      }
    };
    const jmapMessageLimit = async (): Promise<number | undefined> => {
      const jmap = JmapClient.basic(srv.endpoints.jmap, dora, doraPw);
      const { accountId } = await jmap.session();
      const got = await jmap.call([['Quota/get', { accountId }, 'q']], ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:quota']);
      const list = (got[0]![1] as { list: Array<{ resourceType: string; hardLimit: number }> }).list;
      return list.find((q) => q.resourceType === 'count')?.hardLimit;
    };

    // Refused without an administrator's token, before anything else.
    assertJamesError(await call('PUT', '/quota/domains/{domainName}', { params: d, body: { count: 1 }, token: null }), 401);
    assertJamesError(await call('PUT', '/quota', { body: { count: 1 }, token: await jwt({ sub: 'someone' }) }), 403);
    assertJamesError(await call('DELETE', '/quota/count', { token: null }), 401);

    try {
      assert.deepEqual((await call('GET', '/quota/domains/{domainName}', { params: d })).body, { global: { count: -1, size: -1 }, computed: { count: -1, size: -1 } });
      assert.equal((await call('GET', '/quota/domains/{domainName}/count', { params: d })).status, 204);
      assert.deepEqual((await call('GET', '/quota')).body, { count: -1, size: -1 }, 'the store default: unlimited');
      assert.equal((await call('GET', '/quota/count')).body, -1);
      assertJamesError(await call('GET', '/quota/domains/{domainName}', { params: { domainName: 'unserved.test' } }), 404);
      assertJamesError(await call('PUT', '/quota/domains/{domainName}/count', { params: d, body: 0 }), 400);
      assertJamesError(await call('PUT', '/quota/domains/{domainName}', { params: d, body: { count: 'many' } }), 400);
      assertJamesError(await call('PUT', '/quota/size', { body: -2 }), 400);

      // The domain's limit: one message.
      assert.equal((await call('PUT', '/quota/domains/{domainName}', { params: d, body: { count: 1, size: null } })).status, 204);
      assert.equal((await call('GET', '/quota/domains/{domainName}/count', { params: d })).body, 1);
      assert.equal((await call('GET', '/quota/domains/{domainName}/size', { params: d })).status, 204);
      assert.deepEqual((await call('GET', '/quota/domains/{domainName}', { params: { domainName: DOMAIN.toUpperCase() } })).body, {
        global: { count: -1, size: -1 },
        domain: { count: 1, size: null },
        computed: { count: 1, size: -1 },
      });
      // Any form of the domain the domain list accepts (a trailing dot here) names the same quota:
      // one set that way must reach the users, not sit under a key no account has.
      assert.equal((await call('PUT', '/quota/domains/{domainName}/size', { params: { domainName: `${DOMAIN}.` }, body: 1_000_000_000 })).status, 204);
      assert.deepEqual(((await call('GET', '/quota/domains/{domainName}', { params: d })).body as Record<string, unknown>)['domain'], { count: 1, size: 1_000_000_000 });
      assert.equal((await call('DELETE', '/quota/domains/{domainName}/size', { params: { domainName: `${DOMAIN}.` } })).status, 204);
      const details = (await call('GET', '/quota/users/{username}', { params: u })).body as Record<string, unknown>;
      assert.deepEqual(details['domain'], { count: 1, size: null });
      assert.equal(details['user'], undefined);
      assert.deepEqual(details['computed'], { count: 1, size: -1 });
      assert.equal(await jmapMessageLimit(), 1, 'JMAP Quota/get shows the domain limit');
      assert.equal(await imapMessageLimit(), 1, 'IMAP GETQUOTAROOT shows the domain limit');
      assert.equal(await imapAppend(), 'OK');
      assert.equal(await imapAppend(), 'OVERQUOTA', 'IMAP APPEND over the domain limit');
      assert.equal(await jmapImport(), 'overQuota', 'JMAP Email/import over the domain limit');
      assert.equal(await smtpCode(1), 552, 'SMTP over the domain limit');

      // The user's own limit wins over the domain's.
      assert.equal((await call('PUT', '/quota/users/{username}/count', { params: u, body: -1 })).status, 204);
      assert.equal(await smtpCode(2), 250, "the user's unlimited count beats the domain's");
      assert.equal((await call('DELETE', '/quota/users/{username}/count', { params: u })).status, 204);
      assert.equal(await smtpCode(3), 552, 'the domain limit again');

      // The server's limit, once the domain sets none: dora holds 2 messages.
      assert.equal((await call('DELETE', '/quota/domains/{domainName}/count', { params: d })).status, 204);
      assert.equal((await call('GET', '/quota/domains/{domainName}/count', { params: d })).status, 204);
      assert.equal(await smtpCode(4), 250, 'unlimited with neither domain nor server limits: dora holds 3 now');
      assert.equal((await call('PUT', '/quota', { body: { count: 3, size: null } })).status, 204);
      assert.equal((await call('GET', '/quota/count')).body, 3);
      assert.equal((await call('GET', '/quota/size')).body, -1, 'the size falls back to the store default');
      assert.equal(await jmapMessageLimit(), 3, 'JMAP Quota/get shows the server limit');
      assert.equal(await imapMessageLimit(), 3, 'IMAP GETQUOTAROOT shows the server limit');
      assert.equal(await smtpCode(5), 552, 'SMTP over the server limit');
      assert.equal(await imapAppend(), 'OVERQUOTA', 'IMAP APPEND over the server limit');
      assert.equal(await jmapImport(), 'overQuota', 'JMAP Email/import over the server limit');
      assert.deepEqual(((await call('GET', '/quota/domains/{domainName}', { params: d })).body as { computed: unknown }).computed, { count: 3, size: -1 });

      // A domain limit beats the server's, unlimited included.
      assert.equal((await call('PUT', '/quota/domains/{domainName}/count', { params: d, body: -1 })).status, 204);
      assert.equal(await smtpCode(6), 250, "the domain's unlimited count beats the server's");
      assert.equal((await call('PUT', '/quota/domains/{domainName}/size', { params: d, body: 50_000_000 })).status, 204);
      assert.equal((await call('GET', '/quota/domains/{domainName}/size', { params: d })).body, 50_000_000);
      assert.equal((await call('DELETE', '/quota/domains/{domainName}/size', { params: d })).status, 204);
      assert.equal((await call('PUT', '/quota/size', { body: 10_000_000 })).status, 204);
      assert.deepEqual((await call('GET', '/quota')).body, { count: 3, size: 10_000_000 });
      assert.equal((await call('DELETE', '/quota/size')).status, 204);
      assert.equal((await call('PUT', '/quota/count', { body: 100 })).status, 204);
      assert.equal((await call('GET', '/quota/count')).body, 100);
    } finally {
      assert.equal((await call('PUT', '/quota/domains/{domainName}', { params: d, body: { count: null, size: null } })).status, 204);
      assert.equal((await call('DELETE', '/quota/count')).status, 204);
      assert.equal((await call('PUT', '/quota', { body: {} })).status, 204);
    }
    assert.deepEqual((await call('GET', '/quota')).body, { count: -1, size: -1 }, 'back to the store default');
    assert.equal(await smtpCode(7), 250, 'unlimited again');
    assert.equal(await jmapImport(), 'created', 'JMAP Email/import takes it again');
    assert.equal(await imapAppend(), 'OK', 'IMAP APPEND too');
  });

  it('/users/{username}/identities: James shape over the JMAP identities of the user', async () => {
    const u = { username: ALICE };
    type Identity = { id: string; name: string; email: string; mayDelete: boolean; sortOrder: number; textSignature: string; bcc: unknown[]; replyTo: unknown[] };
    const list = async (query?: string) => (await call('GET', '/users/{username}/identities', { params: u, ...(query ? { query } : {}) })).body as Identity[];
    const initial = await list();
    const builtIn = initial.find((i) => !i.mayDelete);
    assert.ok(builtIn, JSON.stringify(initial));
    assert.equal(builtIn.email, ALICE);
    assert.deepEqual(builtIn.bcc, []);

    assertJamesError(await call('POST', '/users/{username}/identities', { params: u, body: { name: 'x', email: ALICE }, token: null }), 401);
    assertJamesError(await call('POST', '/users/{username}/identities', { params: u, body: { name: 'x', email: 'mallory@elsewhere.test' } }), 400);
    assertJamesError(await call('POST', '/users/{username}/identities', { params: u, body: { name: 5, email: ALICE } }), 400);
    assertJamesError(await call('POST', '/users/{username}/identities', { params: u, body: { name: 'x' } }), 400);
    assertJamesError(await call('POST', '/users/{username}/identities', { params: { username: `nobody@${DOMAIN}` }, body: { name: 'x', email: ALICE } }), 404);
    const work = `alice+work@${DOMAIN}`;
    const created = await call('POST', '/users/{username}/identities', {
      params: u,
      body: { name: 'Alice at work', email: work, mayDelete: true, textSignature: '-- A', htmlSignature: '<p>A</p>', bcc: [{ email: 'boss@elsewhere.test', name: 'Boss' }], replyTo: [{ email: ALICE }], sortOrder: 3 },
    });
    assert.equal(created.status, 201);
    const added = (await list()).find((i) => i.email === work);
    assert.ok(added);
    assert.equal(added.name, 'Alice at work');
    assert.equal(added.mayDelete, true);
    assert.equal(added.sortOrder, 3);
    assert.deepEqual(added.bcc, [{ emailerName: 'Boss', mailAddress: 'boss@elsewhere.test' }]);
    assert.deepEqual(added.replyTo, [{ emailerName: null, mailAddress: ALICE }]);
    assert.deepEqual((await list('default=true')).map((i) => i.id), [builtIn.id]);
    assertJamesError(await call('GET', '/users/{username}/identities', { params: u, query: 'default=maybe' }), 400);

    const id = { ...u, identityId: added.id };
    assert.equal((await call('PUT', '/users/{username}/identities/{identityId}', { params: id, body: { name: 'Alice (work)', email: 'ignored@elsewhere.test' } })).status, 204);
    assertJamesError(await call('PUT', '/users/{username}/identities/{identityId}', { params: { ...u, identityId: 'no-such-identity' }, body: { name: 'x' } }), 404);
    assertJamesError(await call('PUT', '/users/{username}/identities/{identityId}', { params: id, body: { bcc: 'boss' } }), 400);

    // The same identity as a JMAP client sees it: WebAdmin and JMAP share the data.
    const jmap = JmapClient.basic(srv.endpoints.jmap, ALICE, ALICE_PW);
    const { accountId } = await jmap.session();
    const [got] = await jmap.call([['Identity/get', { accountId }, 'i']], ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:submission']);
    assert.equal(got![0], 'Identity/get', JSON.stringify(got));
    const seen = (got![1]['list'] as Array<{ id: string; name: string; email: string; textSignature: string }>).find((i) => i.id === added.id);
    assert.deepEqual(seen && { name: seen.name, email: seen.email, textSignature: seen.textSignature }, { name: 'Alice (work)', email: work, textSignature: '-- A' });
  });

  it('/mailQueues and /tasks: list, inspect, delete by sender and name, flush, clear', async () => {
    const store = await srv.running.context.use(storeResource);
    const later = new Date(Date.now() + 3600_000);
    const enqueue = (sender: string, to: string) =>
      store.enqueueOutbound({ sender, recipients: [to], bytes: Buffer.from(`From: ${sender}\r\nSubject: q\r\n\r\nbody\r\n`), nextAttemptAt: later });
    const a = await enqueue('spammer@elsewhere.test', 'x@far.invalid');
    const b = await enqueue('spammer@elsewhere.test', 'y@far.invalid');
    const c = await enqueue('ok@elsewhere.test', 'z@far.invalid');
    const d = await enqueue('ok@elsewhere.test', 'w@far.invalid');
    const q = { mailQueueName: 'outgoing' };
    assert.deepEqual((await call('GET', '/mailQueues')).body, ['outgoing']);
    assert.deepEqual((await call('GET', '/mailQueues/{mailQueueName}', { params: q })).body, { name: 'outgoing', size: 4 });
    assertJamesError(await call('GET', '/mailQueues/{mailQueueName}', { params: { mailQueueName: 'spool' } }), 404);
    const mails = (await call('GET', '/mailQueues/{mailQueueName}/mails', { params: q })).body as Array<{ name: string; sender: string; recipients: string[] }>;
    assert.deepEqual(mails.map((m) => m.name), [a.id, b.id, c.id, d.id]);
    assert.deepEqual(mails[0]!.recipients, ['x@far.invalid']);
    assert.equal(((await call('GET', '/mailQueues/{mailQueueName}/mails', { params: q, query: 'limit=1' })).body as unknown[]).length, 1);
    assertJamesError(await call('GET', '/mailQueues/{mailQueueName}/mails', { params: q, query: 'limit=0' }), 400);

    assertJamesError(await call('DELETE', '/mailQueues/{mailQueueName}/mails', { params: q, query: 'sender=a&name=b' }), 400);
    const bySender = await call('DELETE', '/mailQueues/{mailQueueName}/mails', { params: q, query: 'sender=spammer@elsewhere.test' });
    assert.equal(bySender.status, 201);
    const taskId = (bySender.body as { taskId: string }).taskId;
    const task = (await call('GET', '/tasks/{taskId}', { params: { taskId } })).body as { status: string; type: string; additionalInformation: Record<string, unknown> };
    assert.equal(task.status, 'completed');
    assert.equal(task.type, 'delete-mails-from-mail-queue');
    assert.equal(task.additionalInformation['initialCount'], 4);
    assert.equal(task.additionalInformation['remainingCount'], 2);
    assert.equal(((await call('GET', '/tasks/{taskId}/await', { params: { taskId } })).body as { taskId: string }).taskId, taskId);
    assert.ok(((await call('GET', '/tasks')).body as Array<{ taskId: string }>).some((t) => t.taskId === taskId));
    assertJamesError(await call('GET', '/tasks/{taskId}', { params: { taskId: 'no-such-task' } }), 404);
    assert.equal((await call('DELETE', '/mailQueues/{mailQueueName}/mails', { params: q, query: `name=${d.id}` })).status, 201);
    assert.deepEqual(((await call('GET', '/mailQueues/{mailQueueName}/mails', { params: q })).body as Array<{ name: string }>).map((m) => m.name), [c.id]);

    assertJamesError(await call('PATCH', '/mailQueues/{mailQueueName}/mails', { params: q, query: 'delayed=true', body: { delayed: true } }), 400);
    assert.equal((await call('PATCH', '/mailQueues/{mailQueueName}/mails', { params: q, query: 'delayed=true', body: { delayed: false } })).status, 204);
    // Flushed: the worker tries it now (far.invalid does not resolve, so the attempt is deferred or failed).
    await waitFor('the flushed mail to be attempted', async () => ((await store.getOutbound(c.id))?.attempts ?? 0) > 0, 20_000);

    await enqueue('other@elsewhere.test', 'v@far.invalid');
    const clear = await call('DELETE', '/mailQueues/{mailQueueName}/mails', { params: q });
    assert.equal(clear.status, 201);
    await waitFor('the queue to be empty', async () => (await store.listOutbound({ status: 'queued' })).filter((i) => i.leaseOwner === null).length === 0 || undefined, 5000).catch(() => undefined);
    const after = (await call('GET', '/mailQueues/{mailQueueName}', { params: q })).body as { size: number };
    // A mail a worker holds at that instant stays (its attempt decides); nothing else does.
    assert.ok(after.size <= 1, JSON.stringify(after));
  });

  it('/healthcheck: James shape, every component, one component', async () => {
    const all = await call('GET', '/healthcheck');
    assert.equal(all.status, 200);
    const report = all.body as { status: string; checks: Array<{ componentName: string; escapedComponentName: string; status: string }> };
    assert.equal(report.status, 'healthy');
    const names = ((await call('GET', '/healthcheck/checks')).body as Array<{ componentName: string }>).map((c) => c.componentName);
    assert.ok(names.includes('Mail store') && names.includes('Users repository'), names.join(','));
    assert.deepEqual(names, report.checks.map((c) => c.componentName));
    const one = await call('GET', '/healthcheck/checks/{componentName}', { params: { componentName: 'Mail store' } });
    assert.equal(one.status, 200);
    assert.equal((one.body as { escapedComponentName: string }).escapedComponentName, 'Mail%20store');
    assertJamesError(await call('GET', '/healthcheck/checks/{componentName}', { params: { componentName: 'Flux capacitor' } }), 404);
  });

  it('/sessions: lists live sessions; ending one or all of a user closes the IMAP connection at once', async () => {
    const first = await imapConnect(srv.endpoints.imap, { user: ALICE, pass: ALICE_PW });
    const firstClosed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const mine = (await call('GET', '/sessions', { query: `user=${encodeURIComponent(ALICE)}` })).body as Array<{ id: string; protocol: string; user: string; mechanism: string }>;
    assert.equal(mine.length, 1, JSON.stringify(mine));
    assert.equal(mine[0]!.protocol, 'imap');
    assert.equal(mine[0]!.user, ALICE);
    assert.ok(((await call('GET', '/sessions')).body as unknown[]).length >= 1);
    assert.equal((await call('DELETE', '/sessions/{sessionId}', { params: { sessionId: mine[0]!.id } })).status, 204);
    await withDeadline(firstClosed, 10_000, 'the IMAP connection of the ended session to close');
    assertJamesError(await call('DELETE', '/sessions/{sessionId}', { params: { sessionId: mine[0]!.id } }), 404);

    const second = await imapConnect(srv.endpoints.imap, { user: ALICE, accessToken: await idp.accessToken(ALICE) });
    const secondClosed = new Promise<void>((resolve) => second.once('close', () => resolve()));
    const revoked = await call('DELETE', '/sessions', { query: `user=${encodeURIComponent(ALICE)}` });
    assert.equal(revoked.status, 200);
    assert.deepEqual(revoked.body, { user: ALICE, ended: 1 });
    await withDeadline(secondClosed, 10_000, 'the IMAP connection of the revoked user to close');
    assert.deepEqual((await call('GET', '/sessions', { query: `user=${encodeURIComponent(ALICE)}` })).body, []);
    assertJamesError(await call('DELETE', '/sessions'), 400);
    assertJamesError(await call('DELETE', '/sessions', { query: `user=nobody@${DOMAIN}` }), 404);
  });

  it('/users/{username}/authorizedUsers: James shape; a delegate logs in as the owner until taken back, which closes that session at once', async () => {
    const carol = `carol-delegate@${DOMAIN}`;
    await srv.running.context.users.add(BOB, 'bob-delegate-secret');
    const u = { username: ALICE };
    assert.deepEqual((await call('GET', '/users/{username}/authorizedUsers', { params: u })).body, []);
    assert.equal((await call('PUT', '/users/{username}/authorizedUsers/{delegate}', { params: { ...u, delegate: BOB } })).status, 200);
    // A name the repository does not know may be granted, as in James.
    assert.equal((await call('PUT', '/users/{username}/authorizedUsers/{delegate}', { params: { ...u, delegate: carol } })).status, 200);
    assert.deepEqual((await call('GET', '/users/{username}/authorizedUsers', { params: u })).body, [BOB, carol].sort());
    assertJamesError(await call('PUT', '/users/{username}/authorizedUsers/{delegate}', { params: { ...u, delegate: ALICE } }), 400);

    // Bob logs in as alice (PLAIN with alice as authorization identity); taking the grant back ends that session.
    const imap = await RawClient.connect(srv.endpoints.imaps, { tls: true });
    try {
      const plain = Buffer.from(`${ALICE}\0${BOB}\0bob-delegate-secret`).toString('base64');
      assert.match((await imap.command('a', `AUTHENTICATE PLAIN ${plain}`)).at(-1)!, /^a OK/);
      assert.equal((await call('DELETE', '/users/{username}/authorizedUsers/{delegate}', { params: { ...u, delegate: BOB } })).status, 200);
      assert.ok(await imap.closedWithin(10_000), "bob's session as alice ends at once");
    } finally {
      imap.close();
    }
    assert.deepEqual((await call('GET', '/users/{username}/authorizedUsers', { params: u })).body, [carol]);
    assert.equal((await call('DELETE', '/users/{username}/authorizedUsers/{delegate}', { params: { ...u, delegate: BOB } })).status, 200, 'idempotent');
    assert.equal((await call('PUT', '/users/{username}/authorizedUsers/{delegate}', { params: { ...u, delegate: BOB } })).status, 200);
    assert.equal((await call('DELETE', '/users/{username}/authorizedUsers', { params: u })).status, 200);
    assert.deepEqual((await call('GET', '/users/{username}/authorizedUsers', { params: u })).body, []);

    const nobody = { username: `nobody@${DOMAIN}` };
    assertJamesError(await call('GET', '/users/{username}/authorizedUsers', { params: nobody }), 404);
    assertJamesError(await call('PUT', '/users/{username}/authorizedUsers/{delegate}', { params: { ...nobody, delegate: BOB } }), 404);
    assertJamesError(await call('DELETE', '/users/{username}/authorizedUsers/{delegate}', { params: { ...nobody, delegate: BOB } }), 404);
    assertJamesError(await call('DELETE', '/users/{username}/authorizedUsers', { params: nobody }), 404);
  });

  it('/users/{username}/app-passwords: the secret once, a list without secrets, revoking ends its IMAP session with BYE', async () => {
    const gina = `gina@${DOMAIN}`;
    await srv.running.context.users.add(gina, 'gina-own-password');
    const u = { username: gina };
    const created = await call('POST', '/users/{username}/app-passwords', { params: u, body: { name: 'Scanner', scopes: ['imap'], expiresAt: '2099-01-31T18:00:00Z' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { id, secret, ...rest } = created.body as { id: string; secret: string; name: string; scopes: string[]; expiresAt: string; lastUsedAt: null };
    assert.match(secret, /^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/);
    assert.ok(secret.replace(/-/g, '').startsWith(id), 'the id is the first characters of the secret');
    assert.equal(rest.name, 'Scanner');
    assert.deepEqual(rest.scopes, ['imap']);
    assert.equal(rest.expiresAt, '2099-01-31T18:00:00.000Z');
    assert.equal(rest.lastUsedAt, null);
    const kept = (await call('POST', '/users/{username}/app-passwords', { params: u, body: { name: 'Laptop' } })).body as { id: string; secret: string };

    // Passwords need TLS on this server: LOGIN on the implicit-TLS listener, over a raw socket to see the BYE.
    const login = async (password: string): Promise<RawClient> => {
      const c = await RawClient.connect(srv.endpoints.imaps, { tls: true });
      const last = (await c.command('l', `LOGIN ${gina} ${password}`)).at(-1) ?? '';
      if (!/^l OK/.test(last)) {
        c.close();
        throw new Error(`LOGIN failed: ${last}`);
      }
      return c;
    };
    const doomed = await login(secret);
    const other = await login(kept.secret);
    try {
      const listed = await call('GET', '/users/{username}/app-passwords', { params: u });
      assert.equal(listed.status, 200);
      const rows = listed.body as Array<Record<string, unknown>>;
      assert.deepEqual(rows.map((r) => r['name']).sort(), ['Laptop', 'Scanner']);
      const row = rows.find((r) => r['id'] === id)!;
      assert.equal(row['user'], gina);
      assert.equal(row['lastUsedIp'], '127.0.0.1');
      assert.ok(Date.parse(String(row['lastUsedAt'])) > 0, 'the last use is recorded');
      assert.ok(!JSON.stringify(rows).includes(secret) && !JSON.stringify(rows).includes(kept.secret), 'no secret is listed');
      assert.ok(rows.every((r) => !('secret' in r)));

      const bye = doomed.readLine(10_000);
      assert.equal((await call('DELETE', '/users/{username}/app-passwords/{id}', { params: { ...u, id } })).status, 204);
      assert.match(await bye, /^\* BYE .*App password revoked/);
      assert.ok(await doomed.closedWithin(10_000), 'the connection closes after BYE');
      // Ended in order: the other app password's session was looked at and kept.
      assert.match((await other.command('n', 'NOOP')).at(-1)!, /^n OK/, 'another app password of the user keeps its session');
      await assert.rejects(login(secret), /LOGIN failed: l NO/);
      assertJamesError(await call('DELETE', '/users/{username}/app-passwords/{id}', { params: { ...u, id } }), 404);
      assert.deepEqual(((await call('GET', '/users/{username}/app-passwords', { params: u })).body as Array<{ id: string }>).map((r) => r.id), [kept.id]);
    } finally {
      doomed.close();
      other.close();
    }

    const nobody = { username: `nobody@${DOMAIN}` };
    assertJamesError(await call('GET', '/users/{username}/app-passwords', { params: nobody }), 404);
    assertJamesError(await call('POST', '/users/{username}/app-passwords', { params: nobody, body: { name: 'x' } }), 404);
    assertJamesError(await call('DELETE', '/users/{username}/app-passwords/{id}', { params: { ...nobody, id: 'abcdefgh' } }), 404);
    for (const body of [{ name: 'x', scopes: ['gopher'] }, { name: '' }, { name: 'x', expiresAt: '2001-01-01T00:00:00Z' }, { name: 'x', expiresAt: '2099-01-01' }, { name: 'x', secret: 'mine' }, ['x']]) {
      assertJamesError(await call('POST', '/users/{username}/app-passwords', { params: u, body }), 400);
    }
    assert.ok(!srv.log.text().includes(secret.replace(/-/g, '').slice(8)), 'the secret is never logged');
  });

  it('/events: recent login attempts of a user, successes and failures, without secrets', async () => {
    await assert.rejects(imapConnect(srv.endpoints.imap, { user: ALICE, pass: 'wrong password' }));
    const events = (await call('GET', '/events', { query: `user=${encodeURIComponent(ALICE)}` })).body as Array<{ protocol: string; result: string; user: string; time: string }>;
    assert.ok(events.some((e) => e.protocol === 'imap' && e.result === 'success'));
    assert.equal(events.at(-1)!.result, 'invalid');
    assert.ok(!JSON.stringify(events).includes(ALICE_PW) && !JSON.stringify(events).includes('wrong password'));
    assert.equal(((await call('GET', '/events', { query: 'limit=1' })).body as unknown[]).length, 1);
    assertJamesError(await call('GET', '/events', { query: 'limit=0' }), 400);
  });

  it('/address/aliases, /address/forwards, /domains/{d}/aliases: James shapes and codes, applied to mail over SMTP', async () => {
    const users = srv.running.context.users;
    const [carol, dave, erin, frank] = ['carol', 'dave', 'erin', 'frank'].map((n) => `${n}@${DOMAIN}`) as [string, string, string, string];
    for (const u of [carol, dave, erin, frank]) await users.add(u, `${u}-password`);
    const sales = `sales@${DOMAIN}`;
    const remote = 'ext@far.invalid';
    const aliasOf = (userAddress: string, aliasAddress: string) => ({ params: { userAddress, aliasAddress } });
    const forward = (baseAddress: string, destinationAddress: string) => ({ params: { baseAddress, destinationAddress } });
    const domainAlias = (domainName: string, sourceDomain: string) => ({ params: { domainName, sourceDomain } });

    // Address aliases.
    const ALIAS_ROUTE = '/address/aliases/{userAddress}/sources/{aliasAddress}';
    assert.equal((await call('PUT', ALIAS_ROUTE, aliasOf(carol, sales))).status, 204);
    assert.equal((await call('PUT', ALIAS_ROUTE, aliasOf(carol, sales.toUpperCase()))).status, 204, 'idempotent, case-insensitive');
    assertJamesError(await call('PUT', ALIAS_ROUTE, aliasOf(carol, 'not-an-address')), 400);
    assertJamesError(await call('PUT', ALIAS_ROUTE, aliasOf(carol, carol)), 400);
    assertJamesError(await call('PUT', ALIAS_ROUTE, aliasOf(carol, 'sales@elsewhere.test')), 400);
    assertJamesError(await call('PUT', ALIAS_ROUTE, aliasOf(carol, ALICE)), 400);
    assertJamesError(await call('PUT', ALIAS_ROUTE, aliasOf(`nobody@${DOMAIN}`, `team@${DOMAIN}`)), 404);
    assert.deepEqual((await call('GET', '/address/aliases')).body, [carol]);
    assert.deepEqual((await call('GET', '/address/aliases/{userAddress}', { params: { userAddress: carol } })).body, [{ source: sales }]);
    assertJamesError(await call('GET', '/address/aliases/{userAddress}', { params: { userAddress: 'no address' } }), 400);

    // Forwards: alice to a remote address only; dave to himself (a local copy) and carol; erin and frank to each other.
    const FORWARD_ROUTE = '/address/forwards/{baseAddress}/targets/{destinationAddress}';
    for (const [from, to] of [[ALICE, remote], [dave, dave], [dave, carol], [erin, frank], [frank, erin]] as const) {
      assert.equal((await call('PUT', FORWARD_ROUTE, forward(from, to))).status, 204, `${from} → ${to}`);
    }
    assertJamesError(await call('PUT', FORWARD_ROUTE, forward(`nobody@${DOMAIN}`, remote)), 404);
    assertJamesError(await call('PUT', FORWARD_ROUTE, forward('x@unserved.test', remote)), 404);
    assertJamesError(await call('PUT', FORWARD_ROUTE, forward(dave, 'bad address')), 400);
    assert.deepEqual((await call('GET', '/address/forwards')).body, [ALICE, dave, erin, frank].sort());
    const daves = (await call('GET', '/address/forwards/{baseAddress}', { params: { baseAddress: dave } })).body as Array<{ mailAddress: string }>;
    assert.deepEqual(daves.map((t) => t.mailAddress).sort(), [carol, dave].sort());
    assertJamesError(await call('GET', '/address/forwards/{baseAddress}', { params: { baseAddress: carol } }), 404);

    // Domain aliases.
    const DOMAIN_ALIAS_ROUTE = '/domains/{domainName}/aliases/{sourceDomain}';
    assert.equal((await call('PUT', DOMAIN_ALIAS_ROUTE, domainAlias(DOMAIN, 'alias.test'))).status, 204);
    assertJamesError(await call('PUT', DOMAIN_ALIAS_ROUTE, domainAlias('unserved.test', 'other.test')), 404);
    assertJamesError(await call('PUT', DOMAIN_ALIAS_ROUTE, domainAlias(DOMAIN, DOMAIN)), 400);
    assertJamesError(await call('PUT', DOMAIN_ALIAS_ROUTE, domainAlias(DOMAIN, 'bad..name')), 400);
    assert.deepEqual((await call('GET', '/domains/{domainName}/aliases', { params: { domainName: DOMAIN } })).body, [{ source: 'alias.test' }]);
    assertJamesError(await call('GET', '/domains/{domainName}/aliases', { params: { domainName: 'unserved.test' } }), 404);

    // Mail from the Internet (MX, no authentication).
    const send = async (to: string, subject: string) =>
      submit({ port: srv.endpoints.smtpMx }, { from: 'sender@elsewhere.test', to, subject, text: 'x', messageId: `<${randomUUID()}@elsewhere.test>` });
    const inbox = async (user: string, subject: string): Promise<number> => {
      const imap = await imapConnect(srv.endpoints.imap, { user, pass: user === ALICE ? ALICE_PW : `${user}-password` });
      try {
        await imap.mailboxOpen('INBOX');
        const found = await imap.search({ subject });
        return Array.isArray(found) ? found.length : 0;
      } finally {
        await imap.logout();
      }
    };
    const tag = randomUUID().slice(0, 8);
    assert.deepEqual((await send(sales, `alias ${tag}`)).rejected, []);
    assert.equal(await inbox(carol, `alias ${tag}`), 1, 'the alias reaches the user');

    const store = await srv.running.context.use(storeResource);
    assert.deepEqual((await send(ALICE, `remote ${tag}`)).rejected, []);
    const queued = (await store.listOutbound()).filter((item) => item.recipients.some((r) => r.address === remote));
    assert.equal(queued.length, 1, 'the remote forward is queued');
    assert.equal(queued[0]!.sender, 'sender@elsewhere.test');
    assert.equal(await inbox(ALICE, `remote ${tag}`), 0, 'no local copy without the user among the targets');

    assert.deepEqual((await send(dave, `copy ${tag}`)).rejected, []);
    assert.equal(await inbox(dave, `copy ${tag}`), 1, 'the local copy');
    assert.equal(await inbox(carol, `copy ${tag}`), 1, 'the local forward');

    assert.deepEqual((await send(erin, `cycle ${tag}`)).rejected, [], 'a forward cycle still delivers');
    assert.equal((await inbox(erin, `cycle ${tag}`)) + (await inbox(frank, `cycle ${tag}`)), 1, 'exactly one copy, no loop');

    assert.deepEqual((await send('carol@alias.test', `domain ${tag}`)).rejected, []);
    assert.equal(await inbox(carol, `domain ${tag}`), 1, 'the alias domain reaches the same local part');

    // Removal: idempotent, and the mappings stop applying.
    for (let i = 0; i < 2; i++) {
      assert.equal((await call('DELETE', ALIAS_ROUTE, aliasOf(carol, sales))).status, 204);
      assert.equal((await call('DELETE', DOMAIN_ALIAS_ROUTE, domainAlias(DOMAIN, 'alias.test'))).status, 204);
      for (const [from, to] of [[ALICE, remote], [dave, dave], [dave, carol], [erin, frank], [frank, erin]] as const) {
        assert.equal((await call('DELETE', FORWARD_ROUTE, forward(from, to))).status, 204);
      }
    }
    assertJamesError(await call('DELETE', ALIAS_ROUTE, aliasOf(carol, '@')), 400);
    assertJamesError(await call('DELETE', FORWARD_ROUTE, forward('@', carol)), 400);
    assertJamesError(await call('DELETE', DOMAIN_ALIAS_ROUTE, domainAlias('unserved.test', 'alias.test')), 404);
    assert.deepEqual((await call('GET', '/address/aliases')).body, []);
    assert.deepEqual((await call('GET', '/address/forwards')).body, []);
    assert.deepEqual((await call('GET', '/domains/{domainName}/aliases', { params: { domainName: DOMAIN } })).body, []);
    await assert.rejects(send(sales, `gone ${tag}`), (err: Error & { responseCode?: number }) => err.responseCode === 550);
  });

  it('/openapi.json: a valid OpenAPI document, served without a token, naming exactly the routes driven here', async () => {
    const res = await call('GET', '/openapi.json', { token: null });
    assert.equal(res.status, 200);
    const doc = res.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    await SwaggerParser.validate(structuredClone(doc) as never);
    assert.match(doc.openapi, /^3\./);
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    const notDriven = [...documented].filter((op) => !driven.has(op));
    const undocumented = [...driven].filter((op) => !documented.has(op));
    assert.deepEqual(notDriven, [], 'every documented route is driven by this test');
    assert.deepEqual(undocumented, [], 'every driven route is documented');
  });
});
