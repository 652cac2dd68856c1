// Java KeyStore (JKS) files, the format James' keystoreType defaults to, read into what Node's TLS
// takes: the private key and its certificate chain as PEM. Written from the format Java's
// sun.security.provider.JavaKeyStore reads and writes:
//   magic 0xFEEDFEED, version (1|2), entry count, then per entry a tag (1 private key, 2 trusted
//   certificate), the alias (modified UTF-8), a timestamp, the protected key (a PKCS#8
//   EncryptedPrivateKeyInfo under Sun's KeyProtector) and the certificate chain; last, a SHA-1 over
//   the password (UTF-16BE), the words "Mighty Aphrodite" and everything before.
// KeyProtector: the key is XORed with SHA-1(password ‖ previous digest) blocks seeded by a 20-byte
// salt, followed by SHA-1(password ‖ plain key) to check the password.
// No npm package does this without bringing node-forge and node-rsa along; it is 100 lines of
// Node's own crypto. (JCEKS, the other Java format, is refused by the caller with a conversion hint.)
import { createHash, createPrivateKey, timingSafeEqual, X509Certificate } from 'node:crypto';

export const JKS_MAGIC = 0xfeedfeed;
export const JCEKS_MAGIC = 0xcececece;
/** OID 1.3.6.1.4.1.42.2.17.1.1, Sun's JKS key protection algorithm, DER-encoded. */
const KEY_PROTECTOR_OID = Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0x2a, 0x02, 0x11, 0x01, 0x01]);

export class JksError extends Error {
  override readonly name = 'JksError';
  /** 'password': the secret does not open the keystore; 'format': the file is not a usable JKS. */
  constructor(readonly kind: 'password' | 'format', message: string) {
    super(message);
  }
}

export interface JksIdentity {
  alias: string;
  /** PKCS#8 PEM private key. */
  key: string;
  /** PEM certificates, the key's certificate first. */
  chain: string[];
  /** Aliases of the other private-key entries, not used. */
  otherKeyAliases: string[];
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  get offset(): number {
    return this.pos;
  }
  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new JksError('format', 'the keystore is truncated');
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** Java's DataInput.readUTF (modified UTF-8; aliases are ASCII in practice). */
  utf(): string {
    return this.bytes(this.u16()).toString('utf8');
  }
}

function passwordBytes(password: string): Buffer {
  // Java chars are UTF-16 code units, written big-endian.
  const le = Buffer.from(password, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) {
    const a = le[i]!;
    le[i] = le[i + 1]!;
    le[i + 1] = a;
  }
  return le;
}

/** Reads one DER element at `pos`: its tag, where its contents start and end. */
function derElement(buf: Buffer, pos: number): { tag: number; start: number; end: number } {
  const tag = buf[pos];
  let len = buf[pos + 1];
  if (tag === undefined || len === undefined) throw new JksError('format', 'a protected key is not DER');
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new JksError('format', 'a protected key is not DER');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  if (start + len > buf.length) throw new JksError('format', 'a protected key is not DER');
  return { tag, start, end: start + len };
}

/** EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING } → the octets, checked to be Sun's KeyProtector. */
function protectedKeyBytes(der: Buffer): Buffer {
  const outer = derElement(der, 0);
  const alg = derElement(der, outer.start);
  const oid = derElement(der, alg.start);
  const data = derElement(der, alg.end);
  if (outer.tag !== 0x30 || alg.tag !== 0x30 || oid.tag !== 0x06 || data.tag !== 0x04) throw new JksError('format', 'a protected key is not an EncryptedPrivateKeyInfo');
  if (!der.subarray(oid.start, oid.end).equals(KEY_PROTECTOR_OID)) throw new JksError('format', 'a key is protected by an algorithm other than JKS\' own');
  return der.subarray(data.start, data.end);
}

function recoverKey(encrypted: Buffer, password: Buffer): Buffer {
  if (encrypted.length < 41) throw new JksError('format', 'a protected key is too short');
  const salt = encrypted.subarray(0, 20);
  const body = encrypted.subarray(20, encrypted.length - 20);
  const check = encrypted.subarray(encrypted.length - 20);
  const plain = Buffer.alloc(body.length);
  let digest: Buffer = salt;
  for (let i = 0; i < body.length; i += 20) {
    digest = createHash('sha1').update(password).update(digest).digest();
    for (let j = 0; j < 20 && i + j < body.length; j++) plain[i + j] = body[i + j]! ^ digest[j]!;
  }
  const expected = createHash('sha1').update(password).update(plain).digest();
  if (!timingSafeEqual(expected, check)) throw new JksError('password', 'the secret does not open its private key');
  return plain;
}

function certificatePem(der: Buffer): string {
  try {
    return new X509Certificate(der).toString();
  } catch {
    throw new JksError('format', 'a certificate in the keystore cannot be parsed');
  }
}

/**
 * The first private-key entry of a JKS file with its chain. James opens keystore and key with the
 * same <secret>; so does this (an absent secret is the empty password, as in James).
 */
export function readJks(data: Buffer, secret: string): JksIdentity {
  const r = new Reader(data);
  if (r.u32() !== JKS_MAGIC) throw new JksError('format', 'not a JKS keystore');
  const version = r.u32();
  if (version !== 1 && version !== 2) throw new JksError('format', `unknown JKS version ${version}`);
  const count = r.u32();
  const password = passwordBytes(secret);
  const keys: { alias: string; protectedKey: Buffer; chain: Buffer[] }[] = [];
  for (let i = 0; i < count; i++) {
    const tag = r.u32();
    const alias = r.utf();
    r.bytes(8); // creation date
    if (tag === 1) {
      const protectedKey = r.bytes(r.u32());
      const chain: Buffer[] = [];
      const n = r.u32();
      for (let c = 0; c < n; c++) {
        if (version === 2) r.utf(); // certificate type, "X.509"
        chain.push(r.bytes(r.u32()));
      }
      keys.push({ alias, protectedKey, chain });
    } else if (tag === 2) {
      if (version === 2) r.utf();
      r.bytes(r.u32());
    } else {
      throw new JksError('format', `unknown entry type ${tag}`);
    }
  }
  const signed = data.subarray(0, r.offset);
  const digest = r.bytes(20);
  const expected = createHash('sha1').update(password).update('Mighty Aphrodite', 'utf8').update(signed).digest();
  if (!timingSafeEqual(expected, digest)) throw new JksError('password', 'the secret does not match the keystore (its integrity check fails)');
  const [first, ...others] = keys;
  if (!first) throw new JksError('format', 'the keystore holds no private key (only trusted certificates)');
  if (first.chain.length === 0) throw new JksError('format', `the key "${first.alias}" has no certificate`);
  const pkcs8 = recoverKey(protectedKeyBytes(first.protectedKey), password);
  let key: string;
  try {
    key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    throw new JksError('format', `the key "${first.alias}" cannot be read`);
  }
  return { alias: first.alias, key, chain: first.chain.map(certificatePem), otherKeyAliases: others.map((k) => k.alias) };
}
