// The receiving side of Web Push encryption (RFC 8291 §3.4, RFC 8188 §2), written from the RFCs for
// the tests independently of src/jmap/push/webpush/encrypt.ts: a test push endpoint decrypts what the
// server sent with the subscription's private key, so a wrong key schedule cannot pass by symmetry.
import { createDecipheriv, createECDH, createHmac } from 'node:crypto';

function hmac(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** HKDF written out (RFC 5869) with one expansion block: every output here is at most 32 octets. */
function hkdf(salt: Buffer, ikm: Buffer, info: Buffer, length: number): Buffer {
  const prk = hmac(salt, ikm);
  return hmac(prk, Buffer.concat([info, Buffer.from([1])])).subarray(0, length);
}

export interface ReceiverKeys {
  /** The user agent's private key (32 octets). */
  privateKey: Buffer;
  /** Its public key, uncompressed (65 octets). */
  publicKey: Buffer;
  authSecret: Buffer;
}

/** A fresh receiver: its p256dh/auth go into the PushSubscription's keys. */
export function newReceiver(authSecret: Buffer): ReceiverKeys {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { privateKey: ecdh.getPrivateKey(), publicKey: ecdh.getPublicKey(), authSecret };
}

/** Decrypts an aes128gcm body; throws when the header, the tag or the padding is wrong. */
export function decryptWebPush(body: Buffer, receiver: ReceiverKeys): Buffer {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  if (record.length > rs) throw new Error(`record of ${record.length} octets exceeds rs ${rs}`);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(receiver.privateKey);
  const shared = ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), receiver.publicKey, asPublic]);
  const ikm = hkdf(receiver.authSecret, shared, keyInfo, 32);
  const cek = hkdf(salt, ikm, Buffer.from('Content-Encoding: aes128gcm\0'), 16);
  const nonce = hkdf(salt, ikm, Buffer.from('Content-Encoding: nonce\0'), 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // Last record: the content, the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 2) throw new Error('missing last-record delimiter');
  return padded.subarray(0, end);
}
