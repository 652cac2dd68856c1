// The OAuth SASL mechanisms against exact byte vectors: RFC 7628 §4 and Google's XOAUTH2 examples,
// both inlined here and read from ../shared/sasl/vectors.md (the team's shared copy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { OAuthBearerExchange, oauthBearerErrorChallenge } from '../../src/auth/sasl/oauthbearer.js';
import { XOAuth2Exchange, xoauth2ErrorChallenge } from '../../src/auth/sasl/xoauth2.js';
import { parseOAuthPayload } from '../../src/auth/sasl/oauth-payload.js';
import { ScriptedChecker } from './sasl-helpers.js';

const RFC7628_IMAP_IR =
  'bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB';
const RFC7628_SMTP_IR =
  'bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB';
const RFC7628_IMAP_ERROR =
  'eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=';
const RFC7628_TOKEN = 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==';
const GOOGLE_XOAUTH2_IR =
  'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==';
const GOOGLE_TOKEN = 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg';
const CLIENT_ERROR_REPLY = 'AQ==';

const rfcChallengeInfo = { scope: 'example_scope', openidConfiguration: 'https://example.com/.well-known/openid-configuration' };

test('RFC 7628 §4.1 IMAP initial response authenticates with its token and user', async () => {
  const checker = new ScriptedChecker('ok');
  const step = await new OAuthBearerExchange(checker, rfcChallengeInfo).start(RFC7628_IMAP_IR);
  assert.equal(step.type, 'success');
  assert.deepEqual(checker.calls, [{ kind: 'token', user: 'user@example.com', secret: RFC7628_TOKEN, mechanism: 'OAUTHBEARER' }]);
});

test('RFC 7628 §4.2 SMTP initial response parses host and port 587', () => {
  const parsed = parseOAuthPayload(Buffer.from(RFC7628_SMTP_IR, 'base64').toString('utf8'));
  assert.deepEqual(parsed, {
    ok: true,
    credentials: { format: 'oauthbearer', user: 'user@example.com', token: RFC7628_TOKEN, host: 'server.example.com', port: 587 },
  });
});

test('RFC 7628 §4.3 error challenge is produced byte for byte, then AQ== ends in failure', async () => {
  assert.equal(oauthBearerErrorChallenge(rfcChallengeInfo), RFC7628_IMAP_ERROR);
  const exchange = new OAuthBearerExchange(new ScriptedChecker('invalid'), rfcChallengeInfo);
  assert.deepEqual(await exchange.start(RFC7628_IMAP_IR), { type: 'challenge', base64: RFC7628_IMAP_ERROR });
  const last = await exchange.respond(CLIENT_ERROR_REPLY);
  assert.equal(last.type, 'failure');
  assert.equal(last.type === 'failure' && last.failure.code, 'invalid');
});

test('Google XOAUTH2 initial response authenticates with its token and user', async () => {
  const checker = new ScriptedChecker('ok');
  const step = await new XOAuth2Exchange(checker, {}).start(GOOGLE_XOAUTH2_IR);
  assert.equal(step.type, 'success');
  assert.deepEqual(checker.calls, [{ kind: 'token', user: 'someuser@example.com', secret: GOOGLE_TOKEN, mechanism: 'XOAUTH2' }]);
});

test('XOAUTH2 error challenge is {"status":"401","schemes":"bearer","scope":…} and an empty reply fails', async () => {
  const info = { scope: 'https://mail.google.com/' };
  const expected = Buffer.from('{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}').toString('base64');
  assert.equal(xoauth2ErrorChallenge(info), expected);
  const exchange = new XOAuth2Exchange(new ScriptedChecker('invalid'), info);
  assert.deepEqual(await exchange.start(GOOGLE_XOAUTH2_IR), { type: 'challenge', base64: expected });
  const last = await exchange.respond('');
  assert.equal(last.type === 'failure' && last.failure.code, 'invalid');
});

// ---- the shared vectors file -------------------------------------------------------------------

const vectorsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/sasl/vectors.md');

interface VectorRow {
  name: string;
  base64: string;
  decoded: string;
}

async function loadVectors(): Promise<VectorRow[] | undefined> {
  let text: string;
  try {
    text = await readFile(vectorsPath, 'utf8');
  } catch {
    return undefined;
  }
  const rows: VectorRow[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | case | `base64` | `decoded` |  → ['', case, b64, decoded, '']
    if (cells.length < 5) continue;
    const b = /^`([^`]*)`$/.exec(cells[2] ?? '');
    if (!b) continue;
    const d = /^`(.*)`$/.exec(cells[3] ?? '');
    rows.push({ name: cells[1] ?? '', base64: b[1] ?? '', decoded: d ? (d[1] ?? '').replace(/\\x01/g, '\x01') : (cells[3] ?? '') });
  }
  return rows;
}

const vectors = await loadVectors();
const skipShared = vectors === undefined && process.env.CI !== 'true';
if (skipShared) console.log(`# skipping shared SASL vectors: ${vectorsPath} not found`);

test('shared vectors file is present and readable', { skip: skipShared }, () => {
  assert.ok(vectors, `${vectorsPath} must exist under CI`);
  assert.ok(vectors.length >= 6, 'expected at least six vector rows');
});

test('every shared vector decodes to its stated bytes', { skip: skipShared }, () => {
  for (const row of vectors ?? []) {
    if (row.decoded.startsWith('same')) continue; // "same, port=587": covered by the inlined §4.2 test
    const decoded = Buffer.from(row.base64, 'base64').toString('latin1');
    const expected = row.decoded.replace(/\\n/g, '\n');
    // Google's error challenge ends with a newline the table cannot show inside backticks.
    assert.equal(decoded.replace(/\n$/, ''), expected.replace(/\n$/, ''), row.name);
    assert.equal(Buffer.from(decoded, 'latin1').toString('base64'), row.base64, `${row.name} is canonical base64`);
  }
});

test('shared OAuth initial responses authenticate through both mechanisms', { skip: skipShared }, async () => {
  const initials = (vectors ?? []).filter((r) => /initial response/i.test(r.name));
  assert.ok(initials.length >= 3);
  for (const row of initials) {
    for (const Exchange of [OAuthBearerExchange, XOAuth2Exchange]) {
      const checker = new ScriptedChecker('ok');
      const step = await new Exchange(checker, {}).start(row.base64);
      assert.equal(step.type, 'success', `${row.name} via ${Exchange.name}`);
      assert.ok(checker.calls[0]?.secret.length, 'token passed to checker');
      assert.ok(checker.calls[0]?.user?.endsWith('@example.com'), 'user passed to checker');
    }
  }
});

test('shared RFC 7628 §4.3 error challenge equals ours for the same scope and URL', { skip: skipShared }, () => {
  const row = (vectors ?? []).find((r) => /7628 §4\.3/.test(r.name));
  assert.ok(row);
  const body = JSON.parse(row.decoded) as { scope: string; 'openid-configuration': string };
  assert.equal(oauthBearerErrorChallenge({ scope: body.scope, openidConfiguration: body['openid-configuration'] }), row.base64);
});

test('shared client error replies end the exchange with a failure', { skip: skipShared }, async () => {
  const reply = (vectors ?? []).find((r) => /reply to an OAUTHBEARER error/i.test(r.name));
  assert.equal(reply?.base64, CLIENT_ERROR_REPLY);
  const exchange = new OAuthBearerExchange(new ScriptedChecker('invalid'), rfcChallengeInfo);
  await exchange.start(RFC7628_IMAP_IR);
  const step = await exchange.respond(reply?.base64 ?? '');
  assert.equal(step.type === 'failure' && step.failure.code, 'invalid');
});
