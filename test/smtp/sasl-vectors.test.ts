// The exact client bytes from ../shared/sasl/vectors.md (RFC 7628 §4.2 and Google's XOAUTH2 docs)
// sent through SMTP AUTH: their tokens are not valid here, so each must get the error challenge and,
// after the client's documented reply, 535 5.7.8.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { RawSmtpClient } from './raw-client.js';
import { startHarness, type SmtpHarness } from './harness.js';

const VECTORS = fileURLToPath(new URL('../../../shared/sasl/vectors.md', import.meta.url));

let text: string | undefined;
let idp: TestIdp;
let h: SmtpHarness;

before(async () => {
  try {
    text = await readFile(VECTORS, 'utf8');
  } catch {
    if (process.env.CI === 'true') throw new Error(`${VECTORS} is required under CI`);
    console.log(`# ${VECTORS} not found: SASL vector tests skipped`);
    return;
  }
  idp = await startTestIdp({ users: [{ email: 'user@example.com' }] });
  h = await startHarness({ startWorker: false, domains: ['example.com'], users: { 'user@example.com': 'irrelevant-password' }, auth: { plainAuthEnabled: false, oidc: idp.oidcConfig() } });
});
after(async () => {
  await h?.close();
  await idp?.close();
});

/** The base64 column of the row whose case starts with `name`. */
function vector(name: string): string {
  const row = text!.split('\n').find((l) => l.startsWith(`| ${name}`));
  assert.ok(row, `vector "${name}" in vectors.md`);
  const cell = row.split('|')[2]!.trim();
  return cell.replace(/^`|`$/g, '');
}

test('RFC 7628 §4.2 SMTP initial response: error challenge, then 535 after AQ==', async (t) => {
  if (!text) return t.skip('no ../shared');
  const { client } = await RawSmtpClient.connect(h.port);
  await client.command('EHLO client.example.com');
  const challenge = await client.command(`AUTH OAUTHBEARER ${vector('RFC 7628 §4.2')}`);
  assert.equal(challenge.code, 334);
  assert.equal(JSON.parse(Buffer.from(challenge.lines[0]!, 'base64').toString()).status, 'invalid_token');
  assert.match((await client.command(vector("client's reply to an OAUTHBEARER error challenge"))).text, /^535 5\.7\.8/);
  client.close();
});

test('Google XOAUTH2 initial response: error challenge, then 535 after an empty line', async (t) => {
  if (!text) return t.skip('no ../shared');
  const { client } = await RawSmtpClient.connect(h.port);
  await client.command('EHLO client.example.com');
  const challenge = await client.command(`AUTH XOAUTH2 ${vector('Google XOAUTH2 initial response')}`);
  assert.equal(challenge.code, 334);
  assert.match((await client.command('')).text, /^535 5\.7\.8/);
  // The session is still usable afterwards.
  assert.equal((await client.command('NOOP')).code, 250);
  client.close();
});
