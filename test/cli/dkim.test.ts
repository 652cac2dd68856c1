// `tessera dkim generate|list`: keys land in <dataDir>/dkim/<domain>/<selector>.pem (mode 0600) and
// the printed TXT record is the one that verifies their signatures — proved by publishing exactly
// the printed text on the test DNS server and verifying a signed message with mailauth.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { authenticate } from 'mailauth';
import { makeTestConf, type TestConf } from '../server/conf-fixture.js';
import { cli } from './in-process.js';
import { startDnsStub, type DnsStub } from '../support/dns-stub.js';
import { createDnsResolver, DkimSigner, readDataDirKeys } from '../../src/delivery/index.js';
import { silentLogger } from '../../src/log/logger.js';

/** The name and the joined character-strings of a printed zone line. */
function parseZone(line: string): { name: string; value: string } {
  const m = /^(\S+)\. IN TXT \( (.*) \)$/.exec(line.trim());
  assert.ok(m, `not a zone line: ${line}`);
  return { name: m[1]!, value: [...m[2]!.matchAll(/"([^"]*)"/g)].map((x) => x[1]).join('') };
}

describe('tessera dkim', () => {
  let c: TestConf;
  let dns: DnsStub;
  before(async () => {
    c = await makeTestConf({ domains: ['example.test'] });
    dns = await startDnsStub();
  });
  after(async () => {
    await dns.close();
    await c.dispose();
  });
  const conf = (): string[] => ['--conf', c.confDir];

  it('generates RSA and Ed25519 keys whose printed records verify signatures made with them', async () => {
    const rsa = await cli(['dkim', 'generate', 'Example.Test', '--selector', 's1', ...conf()]);
    assert.equal(rsa.code, 0, rsa.stderr);
    const ed = await cli(['dkim', 'generate', 'example.test', '--selector', 's2', '--algorithm', 'ed25519', ...conf()]);
    assert.equal(ed.code, 0, ed.stderr);
    const rsaRecord = parseZone(rsa.stdout);
    const edRecord = parseZone(ed.stdout);
    assert.equal(rsaRecord.name, 's1._domainkey.example.test');
    assert.match(rsaRecord.value, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{390,}$/);
    assert.match(edRecord.value, /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    const file = join(c.dataDir, 'dkim', 'example.test', 's1.pem');
    assert.equal((await stat(file)).mode & 0o777, 0o600);

    for (const r of [rsaRecord, edRecord]) dns.add(r.name, { type: 'TXT', value: r.value });
    const signer = new DkimSigner({ keys: await readDataDirKeys(c.dataDir), logger: silentLogger() });
    const message = Buffer.from('From: a@example.test\r\nTo: b@else.test\r\nSubject: hi\r\n\r\nbody\r\n');
    const signed = Buffer.concat([Buffer.from(await signer.sign(message)), message]);
    const result = await authenticate(signed, { ip: '192.0.2.1', helo: 'x.test', sender: 'a@example.test', resolver: createDnsResolver({ servers: [dns.server], useSystem: false }), disableBimi: true, disableArc: true });
    assert.deepEqual(result.dkim.results.map((r) => `${String(r.status.header?.['s'])}=${r.status.result}`).sort(), ['s1=pass', 's2=pass']);

    const list = await cli(['dkim', 'list', ...conf()]);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^example\.test s1 rsa-sha256$/m);
    assert.match(list.stdout, /^example\.test s2 ed25519-sha256$/m);
  });

  it('never replaces a key (exit 1) and refuses bad arguments (exit 2)', async () => {
    const again = await cli(['dkim', 'generate', 'example.test', '--selector', 's1', ...conf()]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists: choose another selector/);
    for (const args of [['dkim'], ['dkim', 'generate'], ['dkim', 'list', 'x'], ['dkim', 'generate', 'example.test', '--algorithm', 'dsa'], ['dkim', 'generate', 'example.test', '--selector', 'bad selector']]) {
      const r = await cli([...args, ...conf()]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
  });
});
