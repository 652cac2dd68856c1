// Outbound DKIM signatures and ARC sets must verify however slowly signing runs. mailauth, unless it
// is given one signing time, reads the clock once for what it signs and again for the header it
// writes; a signing call across a half-second boundary then signs one t= and writes the next, and no
// verifier accepts the signature (this failed about one signing in thirty on a loaded machine). The
// clock here jumps 600 ms at every reading, so each signing crosses such a boundary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticate, type DNSResolver } from 'mailauth';
import { dnsRecord, DkimSigner, generateDkimKey } from '../../src/delivery/index.js';
import { ArcSealer } from '../../src/delivery/authentication/arc-sealer.js';
import { silentLogger } from '../../src/log/logger.js';

const DOMAIN = 'example.test';
let keyDir: string;
let signer: DkimSigner;
let resolver: DNSResolver;

before(async () => {
  keyDir = await mkdtemp(join(tmpdir(), 'tessera-sigtime-'));
  const { key } = await generateDkimKey(keyDir, DOMAIN, 'sel', 'rsa');
  const record = dnsRecord(key);
  signer = new DkimSigner({ keys: [key], logger: silentLogger() });
  resolver = (async (name: string, rrtype: string) => {
    if (rrtype === 'TXT' && name.toLowerCase() === record.name.toLowerCase()) return [[record.value]];
    throw Object.assign(new Error(`no ${rrtype} for ${name}`), { code: 'ENOTFOUND' });
  }) as DNSResolver;
});
after(async () => {
  await rm(keyDir, { recursive: true, force: true });
});

const message = Buffer.from(
  `From: alice@${DOMAIN}\r\nTo: carol@remote.test\r\nSubject: slow signing\r\nDate: Thu, 03 Dec 2026 17:00:00 +0000\r\nMessage-ID: <slow@test>\r\n\r\nHello.\r\n`,
);

/** Runs `work` with a clock that moves 600 ms forward at every Date.now() reading. */
async function withJumpingClock<T>(work: () => Promise<T>): Promise<T> {
  const real = Date.now;
  let now = real.call(Date);
  Date.now = () => (now += 600);
  try {
    return await work();
  } finally {
    Date.now = real;
  }
}

function verify(bytes: Buffer) {
  return authenticate(bytes, { ip: '192.0.2.1', helo: 'mail.example.test', sender: `alice@${DOMAIN}`, mta: 'sink.remote.test', resolver, disableBimi: true });
}

test('a DKIM signature made while the clock moves on still verifies', async () => {
  for (let i = 0; i < 5; i++) {
    const signatures = await withJumpingClock(() => signer.sign(message));
    assert.match(signatures, /^DKIM-Signature:/);
    const result = await verify(Buffer.concat([Buffer.from(signatures), message]));
    assert.deepEqual(
      result.dkim.results.map((r) => `${r.status.result} ${r.status.comment ?? ''}`.trim()),
      ['pass'],
    );
  }
});

test('an ARC set sealed while the clock moves on still verifies', async () => {
  const sealer = new ArcSealer(signer, silentLogger());
  const arrival = `Authentication-Results: mx.${DOMAIN}; spf=pass smtp.mailfrom=alice@${DOMAIN}\r\n`;
  for (let i = 0; i < 5; i++) {
    const set = await withJumpingClock(() => sealer.seal(message, DOMAIN, arrival));
    assert.match(set, /^ARC-Seal: i=1;/);
    const result = await verify(Buffer.concat([Buffer.from(set), message]));
    assert.ok(result.arc);
    assert.equal(result.arc.status.result, 'pass', JSON.stringify(result.arc.status));
  }
});
