// RFC 8620 §7.2 ("This MUST begin with https://") and §8.6 (the server connects where a client
// says): by default only https URLs on public addresses are accepted, checked on the addresses the
// name resolves to; webpush.prevent.server.side.request.forgery=false (allowPrivate) lifts both.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePushUrl, resolvePushTarget, PushTargetError } from '../../../src/jmap/push/webpush/target.js';
import { call, startHarness, type Harness } from '../harness.js';

const STRICT = { allowPrivate: false };
const OPEN = { allowPrivate: true };

async function refusal(url: string, policy = STRICT): Promise<string> {
  try {
    await resolvePushTarget(parsePushUrl(url, policy), policy);
  } catch (err) {
    assert.ok(err instanceof PushTargetError, String(err));
    return err.kind;
  }
  return 'accepted';
}

test('the URL must be https, absolute, without credentials, and not absurdly long', async () => {
  assert.equal(await refusal('http://93.184.215.14/push'), 'invalid');
  assert.equal(await refusal('ftp://93.184.215.14/push'), 'invalid');
  assert.equal(await refusal('/relative'), 'invalid');
  assert.equal(await refusal('https://user:pw@93.184.215.14/push'), 'invalid');
  assert.equal(await refusal(`https://93.184.215.14/${'a'.repeat(3000)}`), 'invalid');
  assert.equal(await refusal('https://93.184.215.14/push'), 'accepted');
  assert.equal(await refusal('https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/push'), 'accepted');
});

test('loopback, private, link-local, mapped and special addresses are forbidden by default', async () => {
  for (const host of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '[::1]', '[fe80::1]', '[fd00::1]', '[::ffff:127.0.0.1]', '[::ffff:10.0.0.1]', '[64:ff9b::a00:1]', 'localhost']) {
    assert.equal(await refusal(`https://${host}/push`), 'forbidden', host);
  }
});

test('allowPrivate accepts http and loopback (tests, push services on the operator\'s network)', async () => {
  assert.equal(await refusal('http://127.0.0.1:9/push', OPEN), 'accepted');
  assert.equal(await refusal('https://localhost/push', OPEN), 'accepted');
  assert.equal(await refusal('ftp://127.0.0.1/push', OPEN), 'invalid');
});

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

test('PushSubscription/set with the default policy: forbidden for a loopback URL, invalidProperties for http', async () => {
  const [[name, result]] = await call(
    h,
    [['PushSubscription/set', {
      create: {
        loop: { deviceClientId: 'd', url: 'https://127.0.0.1/push' },
        named: { deviceClientId: 'd', url: 'https://localhost/push' },
        plain: { deviceClientId: 'd', url: 'http://example.com/push' },
      },
    }, '0']],
    ['urn:ietf:params:jmap:core'],
  );
  assert.equal(name, 'PushSubscription/set');
  const notCreated = (result as { notCreated: Record<string, { type: string; properties?: string[] }> }).notCreated;
  assert.equal(notCreated.loop?.type, 'forbidden');
  assert.equal(notCreated.named?.type, 'forbidden');
  assert.equal(notCreated.plain?.type, 'invalidProperties');
  assert.deepEqual(notCreated.plain?.properties, ['url']);
  assert.deepEqual(await h.store.listPushSubscriptions('alice@example.com'), []);
});
