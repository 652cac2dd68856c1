#!/usr/bin/env node
// Checks a running OIDC example (start.sh) end to end, as James' examples/oidc/test.sh does, with
// nothing but Node's own modules: each step prints PASS or FAIL, and the exit code is the number of
// failures (0: everything passed).
//
//   node check.mjs <run dir>        (check.sh passes the run directory)
//
// What it talks to is only what a client on this host would: the provider's HTTP endpoints, the
// gateway, Tessera's IMAP, SMTP and ManageSieve ports (TLS, Tessera's self-signed certificate as the trust anchor)
// and Tessera's JMAP port.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';

const run = process.argv[2];
if (!run) {
  console.error('usage: check.mjs <run dir>');
  process.exit(2);
}
/** @type {Record<string,string>} */
const env = Object.fromEntries(
  readFileSync(join(run, 'env'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const ca = readFileSync(env.TLS_CA);
// How long a session may outlive its provider session: Tessera re-introspects live sessions every
// revalidateInterval seconds (10 in conf/); one interval, plus one for the check already under way,
// plus the introspection round trip.
const REVALIDATE_SECONDS = Number(/<revalidateInterval>(\d+)</.exec(readFileSync(join(run, 'conf', 'imapserver.xml'), 'utf8'))?.[1] ?? 300);
const LOGOUT_BOUND_MS = (2 * REVALIDATE_SECONDS + 5) * 1000;
const STEP_TIMEOUT_MS = 20_000;

let failures = 0;
async function step(name, fn) {
  const started = Date.now();
  try {
    const detail = await withTimeout(fn(), STEP_TIMEOUT_MS + LOGOUT_BOUND_MS, name);
    console.log(`PASS  ${name}${detail ? ` — ${detail}` : ''} (${Date.now() - started} ms)`);
  } catch (err) {
    failures++;
    console.log(`FAIL  ${name} — ${err instanceof Error ? err.message : String(err)}`);
  }
}
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms))),
  ]);
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');
const b64url = (buf) => buf.toString('base64url');
const jwtPart = (token, i) => JSON.parse(Buffer.from(token.split('.')[i], 'base64url').toString('utf8'));

// --- HTTP ------------------------------------------------------------------------------------------
async function http(url, { method = 'GET', headers = {}, form, json, redirect = 'manual' } = {}) {
  const init = { method, headers: { ...headers }, redirect };
  if (form) {
    init.method = 'POST';
    init.body = new URLSearchParams(form).toString();
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (json) {
    init.method = 'POST';
    init.body = JSON.stringify(json);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body, text };
}
const clientAuth = () => ({ authorization: `Basic ${b64(`${env.CLIENT_ID}:${env.CLIENT_SECRET}`)}` });

// --- a line-oriented TLS client for IMAP and SMTP ----------------------------------------------------
class LineClient {
  constructor(port) {
    this.lines = [];
    this.waiters = [];
    this.buffer = '';
    this.closed = false;
    this.socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (d) => {
      this.buffer += d;
      let i;
      while ((i = this.buffer.indexOf('\r\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, i));
        this.buffer = this.buffer.slice(i + 2);
      }
      this.wake();
    });
    this.closedAt = new Promise((resolve) => this.socket.on('close', () => { this.closed = true; this.wake(); resolve(Date.now()); }));
    this.socket.on('error', () => {});
  }
  wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  /** The next line that matches `re` (lines before it are dropped); fails when the connection closes. */
  async expect(re, what = String(re)) {
    for (;;) {
      const i = this.lines.findIndex((l) => re.test(l));
      if (i >= 0) return this.lines.splice(0, i + 1)[i];
      if (this.closed) throw new Error(`connection closed while waiting for ${what}; last lines: ${this.lines.slice(-3).join(' | ')}`);
      await new Promise((r) => this.waiters.push(r));
    }
  }
  send(line) {
    this.socket.write(`${line}\r\n`);
  }
  close() {
    this.socket.destroy();
  }
}

async function imap() {
  const c = new LineClient(Number(env.IMAP_PORT));
  await c.expect(/^\* OK/, 'the IMAP greeting');
  return c;
}
let tagN = 0;
async function imapCommand(c, command) {
  const tag = `c${++tagN}`;
  c.send(`${tag} ${command}`);
  const done = await c.expect(new RegExp(`^${tag} (OK|NO|BAD)`), `the answer to ${command.split(' ')[0]}`);
  return done.slice(tag.length + 1);
}
async function imapAuthenticate(c, mechanism, token) {
  const ir = mechanism === 'XOAUTH2' ? b64(`user=${env.USER_NAME}\x01auth=Bearer ${token}\x01\x01`) : b64(`n,a=${env.USER_NAME},\x01auth=Bearer ${token}\x01\x01`);
  const tag = `c${++tagN}`;
  c.send(`${tag} AUTHENTICATE ${mechanism} ${ir}`);
  const line = await c.expect(new RegExp(`^(${tag} (OK|NO|BAD)|\\+)`), `the answer to AUTHENTICATE ${mechanism}`);
  if (line.startsWith('+')) {
    // A failed OAuth exchange: the server sent its error challenge; the client ends it with an empty line.
    c.send('');
    return (await c.expect(new RegExp(`^${tag} (OK|NO|BAD)`))).slice(tag.length + 1);
  }
  return line.slice(tag.length + 1);
}

async function smtp() {
  const c = new LineClient(Number(env.SMTP_PORT));
  await c.expect(/^220 /, 'the SMTP greeting');
  c.send('EHLO check.localhost');
  const ehlo = [];
  for (;;) {
    const l = await c.expect(/^250[- ]/);
    ehlo.push(l);
    if (l.startsWith('250 ')) break;
  }
  return { c, ehlo };
}
async function smtpCommand(c, line) {
  c.send(line);
  return c.expect(/^\d{3} /, `the answer to ${line.split(' ')[0]}`);
}

// --- JMAP -------------------------------------------------------------------------------------------
const JMAP_ACCEPT = { accept: 'application/json' };
async function jmapSession(base, headers) {
  return http(`${base}/jmap/session`, { headers: { ...JMAP_ACCEPT, ...headers } });
}
async function jmapFindSubject(base, headers, subject) {
  const session = await jmapSession(base, headers);
  assert(session.status === 200, `session: HTTP ${session.status}`);
  const accountId = session.body.primaryAccounts['urn:ietf:params:jmap:mail'];
  const res = await http(`${base}/jmap`, {
    headers: { ...JMAP_ACCEPT, ...headers },
    json: {
      using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'],
      methodCalls: [
        ['Email/query', { accountId, filter: { subject } }, 'q'],
        ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'from'] }, 'g'],
      ],
    },
  });
  assert(res.status === 200, `Email/query: HTTP ${res.status} ${res.text.slice(0, 200)}`);
  return res.body.methodResponses[1][1].list;
}

// --- the steps ----------------------------------------------------------------------------------------
let token;
let discovery;
const bearer = (t) => ({ authorization: `Bearer ${t}` });

await step('provider discovery document', async () => {
  const r = await http(`${env.OP_URL}/.well-known/openid-configuration`);
  assert(r.status === 200, `HTTP ${r.status}`);
  discovery = r.body;
  assert(discovery.issuer === env.OP_URL, `issuer ${discovery.issuer}`);
  for (const k of ['jwks_uri', 'token_endpoint', 'userinfo_endpoint', 'introspection_endpoint', 'authorization_endpoint']) assert(discovery[k], `no ${k}`);
  assert(discovery.grant_types_supported.includes('password'), 'password grant not offered');
  return `issuer ${discovery.issuer}`;
});

await step('password grant → RS256 JWT access token with email and aud', async () => {
  const r = await http(discovery.token_endpoint, {
    headers: clientAuth(),
    form: { grant_type: 'password', username: env.USER_NAME, password: env.USER_PASSWORD, scope: 'openid email profile' },
  });
  assert(r.status === 200 && r.body.access_token, `HTTP ${r.status} ${r.text.slice(0, 200)}`);
  token = r.body.access_token;
  const header = jwtPart(token, 0);
  const claims = jwtPart(token, 1);
  assert(header.alg === 'RS256', `alg ${header.alg}`);
  assert(claims.email === env.USER_NAME, `email ${claims.email}`);
  const aud = [].concat(claims.aud);
  assert(aud.includes(env.MAIL_AUDIENCE), `aud ${JSON.stringify(claims.aud)}`);
  const jwks = await http(discovery.jwks_uri);
  assert(jwks.body.keys.some((k) => k.kid === header.kid), `kid ${header.kid} not in the JWKS`);
  return `kid ${header.kid}, aud ${aud.join(' ')}, expires in ${r.body.expires_in} s`;
});

await step('wrong password refused at the provider', async () => {
  const r = await http(discovery.token_endpoint, {
    headers: clientAuth(),
    form: { grant_type: 'password', username: env.USER_NAME, password: 'not-the-password', scope: 'openid email' },
  });
  assert(r.status === 400 || r.status === 401, `HTTP ${r.status}`);
  return `HTTP ${r.status} ${r.body.error ?? ''}`;
});

await step('userinfo', async () => {
  const r = await http(discovery.userinfo_endpoint, { headers: bearer(token) });
  assert(r.status === 200 && r.body.email === env.USER_NAME, `HTTP ${r.status} ${r.text.slice(0, 200)}`);
  return `email ${r.body.email}`;
});

await step('JMAP session through the gateway with the token', async () => {
  const r = await jmapSession(env.GATEWAY_URL, bearer(token));
  assert(r.status === 200, `HTTP ${r.status} ${r.text.slice(0, 200)}`);
  assert(r.body.username === env.USER_NAME, `username ${r.body.username}`);
  return `username ${r.body.username}`;
});

await step('JMAP through the gateway refused without a token', async () => {
  const r = await jmapSession(env.GATEWAY_URL, {});
  assert(r.status === 401, `HTTP ${r.status}`);
  return 'HTTP 401';
});

await step('JMAP through the gateway refused with a forged X-User and no token', async () => {
  const r = await jmapSession(env.GATEWAY_URL, { 'x-user': env.USER_NAME, 'x-user-secret': env.XUSER_SECRET });
  assert(r.status === 401, `HTTP ${r.status}`);
  return 'HTTP 401';
});

await step('forged X-User beside a valid token is dropped by the gateway', async () => {
  const r = await jmapSession(env.GATEWAY_URL, { ...bearer(token), 'x-user': 'postmaster@localhost' });
  assert(r.status === 200 && r.body.username === env.USER_NAME, `HTTP ${r.status}, username ${r.body.username}`);
  return `still ${r.body.username}`;
});

await step('Tessera JMAP refuses X-User without the gateway secret', async () => {
  const r = await jmapSession(env.JMAP_URL, { 'x-user': env.USER_NAME });
  assert(r.status === 401, `HTTP ${r.status}`);
  return 'HTTP 401';
});

await step('Tessera JMAP takes the token directly (JWT strategy)', async () => {
  const r = await jmapSession(env.JMAP_URL, bearer(token));
  assert(r.status === 200 && r.body.username === env.USER_NAME, `HTTP ${r.status}`);
  return `username ${r.body.username}`;
});

for (const mechanism of ['OAUTHBEARER', 'XOAUTH2']) {
  await step(`IMAP AUTHENTICATE ${mechanism}`, async () => {
    const c = await imap();
    try {
      const caps = await imapCommand(c, 'CAPABILITY');
      assert(/^OK/.test(caps), `CAPABILITY ${caps}`);
      const answer = await imapAuthenticate(c, mechanism, token);
      assert(/^OK/.test(answer), answer);
      const sel = await imapCommand(c, 'SELECT INBOX');
      assert(/^OK/.test(sel), `SELECT ${sel}`);
      await imapCommand(c, 'LOGOUT');
      return answer.replace(/\[CAPABILITY [^\]]*\] /, '');
    } finally {
      c.close();
    }
  });
}

// ManageSieve (RFC 5804) over implicit TLS, as James' OIDC example checks it: XOAUTH2 with the token,
// then a script stored and activated, and a password refused.
async function sieveResponse(c) {
  return c.expect(/^(OK|NO|BYE)/, 'a ManageSieve response');
}
await step('ManageSieve AUTHENTICATE XOAUTH2, PUTSCRIPT and SETACTIVE', async () => {
  const c = new LineClient(Number(env.SIEVE_PORT));
  try {
    await sieveResponse(c); // the capability greeting
    c.send(`AUTHENTICATE "XOAUTH2" "${b64(`user=${env.USER_NAME}\x01auth=Bearer ${token}\x01\x01`)}"`);
    const auth = await sieveResponse(c);
    assert(/^OK/.test(auth), `AUTHENTICATE answered ${auth}`);
    const script = 'require "fileinto";\r\nif header :contains "subject" "[oidc-check]" { fileinto "INBOX"; }\r\n';
    c.send(`PUTSCRIPT "oidc-check" {${Buffer.byteLength(script)}+}\r\n${script}`);
    const put = await sieveResponse(c);
    assert(/^OK/.test(put), `PUTSCRIPT answered ${put}`);
    c.send('SETACTIVE "oidc-check"');
    const active = await sieveResponse(c);
    assert(/^OK/.test(active), `SETACTIVE answered ${active}`);
    c.send('LISTSCRIPTS');
    await c.expect(/^"oidc-check" ACTIVE$/, 'the script listed as active');
    await sieveResponse(c);
    c.send('LOGOUT');
    return auth;
  } finally {
    c.close();
  }
});

await step('ManageSieve refuses plain passwords (plainAuthEnabled=false)', async () => {
  const c = new LineClient(Number(env.SIEVE_PORT));
  try {
    await sieveResponse(c);
    c.send(`AUTHENTICATE "PLAIN" "${b64(`\0${env.USER_NAME}\0${env.USER_PASSWORD}`)}"`);
    const plain = await sieveResponse(c);
    assert(/^NO/.test(plain), `AUTHENTICATE PLAIN answered ${plain}`);
    return plain;
  } finally {
    c.close();
  }
});

await step('IMAP refuses plain passwords (plainAuthEnabled=false)', async () => {
  const c = await imap();
  try {
    const login = await imapCommand(c, `LOGIN "${env.USER_NAME}" "${env.USER_PASSWORD}"`);
    assert(/^(NO|BAD)/.test(login), `LOGIN answered ${login}`);
    const plain = await imapCommand(c, `AUTHENTICATE PLAIN ${b64(`\0${env.USER_NAME}\0${env.USER_PASSWORD}`)}`);
    assert(/^(NO|BAD)/.test(plain), `AUTHENTICATE PLAIN answered ${plain}`);
    return `LOGIN: ${login}`;
  } finally {
    c.close();
  }
});

await step('SMTP refuses plain passwords (plainAuthEnabled=false)', async () => {
  const { c, ehlo } = await smtp();
  try {
    const auth = ehlo.find((l) => /AUTH /i.test(l)) ?? '';
    assert(!/PLAIN|LOGIN/.test(auth), `EHLO offers ${auth}`);
    const r = await smtpCommand(c, `AUTH PLAIN ${b64(`\0${env.USER_NAME}\0${env.USER_PASSWORD}`)}`);
    assert(/^5/.test(r), `AUTH PLAIN answered ${r}`);
    return `EHLO ${auth.slice(4)}; AUTH PLAIN: ${r}`;
  } finally {
    c.close();
  }
});

await step('JMAP refuses plain passwords (Basic; auth.plainAuthEnabled=false)', async () => {
  const basic = { authorization: `Basic ${b64(`${env.USER_NAME}:${env.USER_PASSWORD}`)}` };
  const direct = await jmapSession(env.JMAP_URL, basic);
  assert(direct.status === 401, `Tessera JMAP answered ${direct.status}`);
  const gateway = await jmapSession(env.GATEWAY_URL, basic);
  assert(gateway.status === 401, `the gateway answered ${gateway.status}`);
  return 'HTTP 401 at Tessera and at the gateway';
});

const subject = `OIDC example check ${randomBytes(6).toString('hex')}`;
await step('SMTP submission with XOAUTH2, message to self', async () => {
  const { c } = await smtp();
  try {
    const auth = await smtpCommand(c, `AUTH XOAUTH2 ${b64(`user=${env.USER_NAME}\x01auth=Bearer ${token}\x01\x01`)}`);
    assert(/^235/.test(auth), `AUTH answered ${auth}`);
    for (const cmd of [`MAIL FROM:<${env.USER_NAME}>`, `RCPT TO:<${env.USER_NAME}>`]) {
      const r = await smtpCommand(c, cmd);
      assert(/^250/.test(r), `${cmd} answered ${r}`);
    }
    const data = await smtpCommand(c, 'DATA');
    assert(/^354/.test(data), `DATA answered ${data}`);
    const message = [`From: <${env.USER_NAME}>`, `To: <${env.USER_NAME}>`, `Subject: ${subject}`, `Date: ${new Date().toUTCString()}`, `Message-ID: <${randomBytes(8).toString('hex')}@localhost>`, '', 'Sent by examples/oidc/check.mjs.', '.'];
    const queued = await smtpCommand(c, message.join('\r\n'));
    assert(/^250/.test(queued), `end of DATA answered ${queued}`);
    await smtpCommand(c, 'QUIT');
    return queued;
  } finally {
    c.close();
  }
});

await step('the message is in INBOX over IMAP', async () => {
  const c = await imap();
  try {
    assert(/^OK/.test(await imapAuthenticate(c, 'XOAUTH2', token)), 'AUTHENTICATE');
    assert(/^OK/.test(await imapCommand(c, 'SELECT INBOX')), 'SELECT');
    c.send(`s1 UID SEARCH SUBJECT "${subject}"`);
    const found = await c.expect(/^\* SEARCH/);
    await c.expect(/^s1 OK/);
    assert(/\d/.test(found), `not found (${found})`);
    return found;
  } finally {
    c.close();
  }
});

await step('the message is in the mailbox over JMAP (through the gateway)', async () => {
  const list = await jmapFindSubject(env.GATEWAY_URL, bearer(token), subject);
  assert(list.length === 1 && list[0].subject === subject, `Email/query found ${list.length}`);
  return `Email/get: ${list[0].subject}`;
});

// Logout as Thunderbird's user would: a login at the portal (authorization code with PKCE, the flow
// of mail clients), a token from it in an IMAP IDLE, then logout at the portal.
let cookie;
let codeToken;
await step('portal login, authorization code + PKCE → token', async () => {
  const form = await http(`${env.OP_URL}/`);
  const hidden = /name="token" value="([^"]+)"/.exec(form.text)?.[1];
  const login = await http(`${env.OP_URL}/`, { form: { user: env.USER_NAME, password: env.USER_PASSWORD, ...(hidden ? { token: hidden } : {}) } });
  const set = login.headers.get('set-cookie') ?? '';
  cookie = /lemonldap=([0-9a-f]+)/.exec(set)?.[0];
  assert(cookie, `no session cookie after login (HTTP ${login.status})`);
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const redirectUri = 'http://127.0.0.1';
  const authorize = new URL(discovery.authorization_endpoint);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: env.CLIENT_ID, redirect_uri: redirectUri, scope: 'openid email profile', state: 's1', code_challenge: challenge, code_challenge_method: 'S256' })) authorize.searchParams.set(k, v);
  const a = await http(authorize.href, { headers: { cookie } });
  const location = a.headers.get('location') ?? '';
  const code = new URL(location, env.OP_URL).searchParams.get('code');
  assert(code, `authorize: HTTP ${a.status}, no code (${location.slice(0, 120)})`);
  const t = await http(discovery.token_endpoint, { headers: clientAuth(), form: { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier } });
  assert(t.status === 200 && t.body.access_token, `token: HTTP ${t.status} ${t.text.slice(0, 200)}`);
  codeToken = t.body.access_token;
  return `email ${jwtPart(codeToken, 1).email}`;
});

await step(`logout at the provider ends the IMAP IDLE and the token is refused (bound ${LOGOUT_BOUND_MS / 1000} s)`, async () => {
  assert(codeToken, 'no token from the previous step');
  const c = await imap();
  const answer = await imapAuthenticate(c, 'OAUTHBEARER', codeToken);
  assert(/^OK/.test(answer), `AUTHENTICATE ${answer}`);
  assert(/^OK/.test(await imapCommand(c, 'SELECT INBOX')), 'SELECT');
  c.send('i1 IDLE');
  await c.expect(/^\+/, 'the IDLE continuation');
  const before = await jmapSession(env.JMAP_URL, bearer(codeToken));
  assert(before.status === 200, `before logout JMAP answered ${before.status}`);
  const loggedOutAt = Date.now();
  const out = await http(`${env.OP_URL}/?logout=1`, { headers: { cookie } });
  assert(out.status < 500, `logout: HTTP ${out.status}`);
  const closedAt = await withTimeout(c.closedAt, LOGOUT_BOUND_MS, 'the IDLE connection to end');
  const ended = closedAt - loggedOutAt;
  const bye = c.lines.find((l) => l.startsWith('* BYE')) ?? '(no BYE)';
  const again = await imap();
  try {
    const refused = await imapAuthenticate(again, 'XOAUTH2', codeToken);
    assert(/^NO/.test(refused), `a new AUTHENTICATE answered ${refused}`);
  } finally {
    again.close();
  }
  const jmap = await jmapSession(env.JMAP_URL, bearer(codeToken));
  assert(jmap.status === 401, `JMAP with the token answered ${jmap.status}`);
  return `IDLE ended ${ended} ms after logout: ${bye}; IMAP NO, JMAP 401`;
});

console.log(failures === 0 ? 'ALL PASSED' : `${failures} FAILED`);
process.exit(failures === 0 ? 0 : 1);
