// Web Push message encryption (RFC 8291): the "aes128gcm" content coding of RFC 8188 with keys
// agreed by ECDH on P-256 between a fresh application-server key pair and the subscription's
// p256dh key, mixed with its auth secret. Every primitive is node:crypto's; this file only lays out
// the key schedule and the header. One record: a StateChange is far below the 4096-octet limit.
import { createCipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';

/** RFC 8291 §4: the record size a push service must accept; also the largest body we send. */
export const WEBPUSH_RECORD_SIZE = 4096;
/** Header (salt 16, rs 4, idlen 1, keyid 65) + tag (16) + padding delimiter (1). */
const OVERHEAD = 16 + 4 + 1 + 65 + 16 + 1;
/** RFC 8291 §4: the largest plaintext that fits one 4096-octet record (3993 octets). */
export const WEBPUSH_MAX_PLAINTEXT = WEBPUSH_RECORD_SIZE - OVERHEAD;

export class WebPushKeyError extends Error {
  override readonly name = 'WebPushKeyError';
}

export interface WebPushKeys {
  /** The user agent's P-256 public key, uncompressed point, base64url. */
  p256dh: string;
  /** The authentication secret, base64url (16 octets). */
  auth: string;
}

/** Fixed inputs, for the RFC 8291 §5 test vector only; production always draws fresh ones. */
export interface EncryptionFixture {
  salt: Buffer;
  /** The application server's private key (32 octets). */
  asPrivate: Buffer;
}

function decodeKey(value: string, name: string): Buffer {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(value)) throw new WebPushKeyError(`${name} is not URL-safe base64`);
  return Buffer.from(value, 'base64url');
}

function decodeKeys(keys: WebPushKeys): { uaPublic: Buffer; authSecret: Buffer } {
  const uaPublic = decodeKey(keys.p256dh, 'p256dh');
  const authSecret = decodeKey(keys.auth, 'auth');
  if (uaPublic.length !== 65 || uaPublic[0] !== 0x04) throw new WebPushKeyError('p256dh must be an uncompressed P-256 point (65 octets)');
  if (authSecret.length !== 16) throw new WebPushKeyError('auth must be 16 octets');
  return { uaPublic, authSecret };
}

/** Checks p256dh (an uncompressed point on P-256) and auth (16 octets); throws WebPushKeyError. */
export function checkWebPushKeys(keys: WebPushKeys): void {
  const { uaPublic } = decodeKeys(keys);
  const probe = createECDH('prime256v1');
  probe.generateKeys();
  try {
    // computeSecret refuses a point that is not on the curve.
    probe.computeSecret(uaPublic);
  } catch {
    throw new WebPushKeyError('p256dh is not a point on P-256');
  }
}

function hkdf(ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

/** Encrypts `plaintext` for the subscription's keys: the whole request body (header and one record). */
export function encryptWebPush(plaintext: Buffer, keys: WebPushKeys, fixture?: EncryptionFixture): Buffer {
  if (plaintext.length > WEBPUSH_MAX_PLAINTEXT) throw new WebPushKeyError(`a push message holds at most ${WEBPUSH_MAX_PLAINTEXT} octets`);
  const { uaPublic, authSecret } = decodeKeys(keys);
  const as = createECDH('prime256v1');
  if (fixture) as.setPrivateKey(fixture.asPrivate);
  else as.generateKeys();
  const asPublic = as.getPublicKey();
  const salt = fixture?.salt ?? randomBytes(16);

  // RFC 8291 §3.4: IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" || 0x00 || ua_public || as_public, 32)
  const ecdhSecret = as.computeSecret(uaPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0', 'latin1'), uaPublic, asPublic]);
  const ikm = hkdf(ecdhSecret, authSecret, keyInfo, 32);
  // RFC 8188 §2.2–2.3: content-encryption key and nonce from the salt (one record: sequence 0).
  const cek = hkdf(ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0', 'latin1'), 16);
  const nonce = hkdf(ikm, salt, Buffer.from('Content-Encoding: nonce\0', 'latin1'), 12);

  const cipher = createCipheriv('aes-128-gcm', cek, nonce);
  // RFC 8188 §2: the last record's plaintext ends with the delimiter octet 0x02, then no padding.
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.update(Buffer.from([0x02])), cipher.final(), cipher.getAuthTag()]);

  const header = Buffer.alloc(16 + 4 + 1);
  salt.copy(header, 0);
  header.writeUInt32BE(WEBPUSH_RECORD_SIZE, 16);
  header.writeUInt8(asPublic.length, 20);
  return Buffer.concat([header, asPublic, sealed]);
}
