// RFC 8291 §5 (Push Message Encryption Example): with the example's application-server private key
// and salt, the server's encryption must produce the example's body byte for byte, and the
// independent receiver of test/support must read the example body with the example's UA key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createECDH } from 'node:crypto';
import { encryptWebPush, checkWebPushKeys, WebPushKeyError, WEBPUSH_MAX_PLAINTEXT } from '../../../src/jmap/push/webpush/encrypt.js';
import { decryptWebPush, newReceiver } from '../../support/webpush-decrypt.js';

const b64u = (s: string): Buffer => Buffer.from(s, 'base64url');
const RFC = {
  plaintext: 'When I grow up, I want to be a watermelon',
  asPrivate: 'yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw',
  uaPrivate: 'q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94',
  uaPublic: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4',
  auth: 'BTBZMqHH6r4Tts7J_aSIgg',
  salt: 'DGv6ra1nlYgDCS1FRnbzlw',
  body:
    'DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_' +
    'yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN',
};

test('RFC 8291 §5: the example keys and salt give the example body exactly', () => {
  const body = encryptWebPush(Buffer.from(RFC.plaintext), { p256dh: RFC.uaPublic, auth: RFC.auth }, { salt: b64u(RFC.salt), asPrivate: b64u(RFC.asPrivate) });
  assert.equal(body.toString('base64url'), RFC.body);
});

test('RFC 8291 §5: the test receiver decrypts the example body with the example UA key', () => {
  const plain = decryptWebPush(b64u(RFC.body), { privateKey: b64u(RFC.uaPrivate), publicKey: b64u(RFC.uaPublic), authSecret: b64u(RFC.auth) });
  assert.equal(plain.toString(), RFC.plaintext);
});

test('fresh keys and salt each time: two encryptions differ and both decrypt', () => {
  const receiver = newReceiver(Buffer.alloc(16, 7));
  const keys = { p256dh: receiver.publicKey.toString('base64url'), auth: receiver.authSecret.toString('base64url') };
  const a = encryptWebPush(Buffer.from('{"@type":"StateChange"}'), keys);
  const b = encryptWebPush(Buffer.from('{"@type":"StateChange"}'), keys);
  assert.notDeepEqual(a, b);
  assert.equal(decryptWebPush(a, receiver).toString(), '{"@type":"StateChange"}');
  assert.equal(decryptWebPush(b, receiver).toString(), '{"@type":"StateChange"}');
  // Another receiver's key cannot open it (the GCM tag fails).
  assert.throws(() => decryptWebPush(a, newReceiver(Buffer.alloc(16, 7))));
});

test('keys are checked: wrong lengths, bad base64, a point off the curve, an oversized payload', () => {
  const good = createECDH('prime256v1');
  good.generateKeys();
  const p256dh = good.getPublicKey().toString('base64url');
  const auth = Buffer.alloc(16, 1).toString('base64url');
  assert.doesNotThrow(() => checkWebPushKeys({ p256dh, auth }));
  assert.throws(() => checkWebPushKeys({ p256dh, auth: Buffer.alloc(15).toString('base64url') }), WebPushKeyError);
  assert.throws(() => checkWebPushKeys({ p256dh: p256dh.slice(0, 40), auth }), WebPushKeyError);
  assert.throws(() => checkWebPushKeys({ p256dh: 'not base64!', auth }), WebPushKeyError);
  const offCurve = Buffer.alloc(65, 1);
  offCurve[0] = 4;
  assert.throws(() => checkWebPushKeys({ p256dh: offCurve.toString('base64url'), auth }), WebPushKeyError);
  assert.throws(() => encryptWebPush(Buffer.alloc(WEBPUSH_MAX_PLAINTEXT + 1), { p256dh, auth }), WebPushKeyError);
  assert.doesNotThrow(() => encryptWebPush(Buffer.alloc(WEBPUSH_MAX_PLAINTEXT), { p256dh, auth }));
});
