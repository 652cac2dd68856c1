// WebAdmin over HTTPS (James' https.enabled with https.keystore/https.password): the configured
// certificate is served to a client that trusts only it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { listenerPort } from '../support/tessera-conf.js';
import { startTessera, writeE2eConf, type E2eConf, type E2eServer } from '../e2e/harness.js';
import { pemPairs, pkcs12 } from '../config/fixtures.js';

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;
let cert: string;

before(async () => {
  idp = await startTestIdp({ users: [] });
  conf = await writeE2eConf(idp);
  const [pair] = await pemPairs();
  cert = pair.cert;
  await writeFile(join(conf.confDir, 'webadmin.p12'), await pkcs12(pair, 'changeit'));
  await writeFile(join(conf.confDir, 'webadmin.properties'), 'enabled=true\nhost=127.0.0.1\nport=0\nhttps.enabled=true\nhttps.keystore=conf/webadmin.p12\nhttps.password=changeit\n');
  srv = await startTessera(conf);
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

describe('WebAdmin over HTTPS', () => {
  it('serves the API with the keystore’s certificate', async () => {
    const port = listenerPort(srv.running, 'webadmin');
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/domains', ca: cert, servername: 'mail.test' }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    assert.deepEqual(JSON.parse(body), ['example.test']);
    assert.match(srv.stdout.text(), new RegExp(`https://127\\.0\\.0\\.1:${port}/`));
  });
});
