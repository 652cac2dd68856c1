// URLAUTH=BINARY (RFC 5524) over real sockets: URLFETCH with BODYPARTSTRUCTURE, BODY and BINARY
// parameters: decoded data (literal8 when it holds NUL), the part's structure, NIL for what cannot
// be decoded, the plain RFC 4467 form unchanged, and BAD for malformed parameter lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startImap } from './harness.js';
import { RawClient } from './raw-client.js';

const USER = 'alice@example.org';
const PASS = 'secret';

const MESSAGE = [
  'Subject: parts',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'caf=C3=A9 =3D ok',
  '--b',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: base64',
  '',
  'AAECAwBoaQ==',
  '--b',
  'Content-Type: application/x-odd',
  'Content-Transfer-Encoding: x-unknown',
  '',
  'zzz',
  '--b--',
  '',
].join('\r\n');

/** Appends MESSAGE and returns signed URLs for the whole message and its parts 1-3. */
async function setup(c: RawClient): Promise<string[]> {
  c.write(`a APPEND INBOX {${Buffer.byteLength(MESSAGE)}+}\r\n${MESSAGE}\r\n`);
  assert.match((await c.until('a')).at(-1)!, /^a OK/);
  const urls: string[] = [];
  for (const [i, section] of ['', '/;SECTION=1', '/;SECTION=2', '/;SECTION=3'].entries()) {
    const r = await c.command(`g${i}`, `GENURLAUTH "imap://alice@example.org/INBOX/;UID=1${section};URLAUTH=user+alice%40example.org" INTERNAL`);
    const m = /^\* GENURLAUTH "([^"]+)"$/.exec(r[0]!);
    assert.ok(m, JSON.stringify(r));
    urls.push(m[1]!);
  }
  return urls;
}

test('RFC 5524 §3.1, §3.2: BINARY decodes (literal8 with NUL), BODYPARTSTRUCTURE describes the decoded part, BODY is as stored', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    assert.ok((await c.command('c', 'CAPABILITY'))[0]!.split(' ').includes('URLAUTH=BINARY'));
    const [whole, text, bin] = await setup(c);
    const b = await c.command('b', `URLFETCH ("${bin}" BINARY)`);
    assert.equal(b[0], `* URLFETCH "${bin}" (BINARY ~{7}`);
    assert.equal(b[1], '\x00\x01\x02\x03\x00hi)');
    const t = await c.command('t', `URLFETCH ("${text}" BINARY BODYPARTSTRUCTURE)`);
    // "café = ok" is 10 octets decoded (16 as stored), with no line break.
    assert.equal(t[0], `* URLFETCH "${text}" (BODYPARTSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 10 0 NIL NIL NIL NIL) BINARY {10}`);
    assert.equal(Buffer.from(t[1]!, 'latin1').toString('utf8'), 'café = ok)');
    const s = await c.command('s', `URLFETCH ("${bin}" BODYPARTSTRUCTURE)`);
    assert.equal(s[0], `* URLFETCH "${bin}" (BODYPARTSTRUCTURE ("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 12 NIL NIL NIL NIL))`);
    const body = await c.command('d', `URLFETCH ("${bin}" BODY)`);
    assert.deepEqual(body.slice(0, 2), [`* URLFETCH "${bin}" (BODY {12}`, 'AAECAwBoaQ==)']);
    // The whole message holds a part in an unknown encoding, so it has no decoded form (the
    // decoding of nested parts, headers rewritten to binary, is what imaptest's urlauth-binary checks).
    assert.equal((await c.command('w', `URLFETCH ("${whole}" BINARY)`))[0], `* URLFETCH "${whole}" (BINARY NIL)`);
  } finally {
    c.close();
    await h.close();
  }
});

test('RFC 5524 §3.1: data that cannot be decoded is BINARY NIL; an invalid URL is NIL; the RFC 4467 form is unchanged', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    const [, text, , odd] = await setup(c);
    const o = await c.command('o', `URLFETCH ("${odd}" BINARY BODYPARTSTRUCTURE)`);
    assert.equal(o[0], `* URLFETCH "${odd}" (BODYPARTSTRUCTURE ("APPLICATION" "X-ODD" NIL NIL NIL "X-UNKNOWN" 3 NIL NIL NIL NIL) BINARY NIL)`);
    const forged = text!.replace(/:INTERNAL:[0-9a-f]+$/, ':INTERNAL:' + '0'.repeat(32));
    assert.equal((await c.command('f', `URLFETCH ("${forged}" BINARY)`))[0], `* URLFETCH "${forged}" NIL`);
    const plain = await c.command('p', `URLFETCH "${text}"`);
    assert.deepEqual(plain.slice(0, 2), [`* URLFETCH "${text}" {16}`, 'caf=C3=A9 =3D ok']);
  } finally {
    c.close();
    await h.close();
  }
});

test('RFC 5524 §5: BODY with BINARY, ANNOTATION (no ANNOTATE here), unknown or missing parameters are BAD', async () => {
  const h = await startImap({ users: { [USER]: PASS } });
  const c = await RawClient.loggedIn(h.port, USER, PASS);
  try {
    const [, text] = await setup(c);
    for (const [tag, args] of [
      ['x1', `("${text}" BINARY BODY)`],
      ['x2', `("${text}" ANNOTATION (/comment value))`],
      ['x3', `("${text}" FOO)`],
      ['x4', '()'],
    ] as const) {
      const r = await c.command(tag, `URLFETCH ${args}`);
      assert.match(r.at(-1)!, new RegExp(`^${tag} BAD`), `${args}: ${JSON.stringify(r)}`);
      assert.ok(!r.some((l) => l.startsWith('* URLFETCH')), JSON.stringify(r));
    }
  } finally {
    c.close();
    await h.close();
  }
});
