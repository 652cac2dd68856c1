// First start of a James conf/: its listeners point at file://conf/keystore, which James' images
// create on first start and which the copied directory does not hold. Tessera creates it the same
// way — a self-signed certificate with the host's names, as a PKCS#12 file protected by the
// configured <secret> (Java opens it as keystoreType PKCS12 and, by its compatibility rule, as JKS) —
// and says so in a warning carrying the certificate's SHA-256 fingerprint, so clients can pin it
// until it is replaced by a real certificate. Only files inside the conf directory are created (the
// loader decides that); a missing keystore anywhere else stays a start-up error.
import { randomBytes, X509Certificate, createPrivateKey, webcrypto } from 'node:crypto';
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { displayPath } from '../config/context.js';
import type { TesseraConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { StartupError } from './errors.js';
import { generateSelfSignedPem } from './self-signed.js';
import { certificateNames, tlsUsers, type TlsUser } from './tls.js';

/** The alias James' documentation uses (keytool -genkey -alias james …). */
const ALIAS = 'james';
/** PBKDF2 and MAC iterations: what current OpenSSL and keytool write. */
const ITERATIONS = 10_000;
const OID_FRIENDLY_NAME = '1.2.840.113549.1.9.20';
const OID_LOCAL_KEY_ID = '1.2.840.113549.1.9.21';
const OID_SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';
const OID_CERT_BAG = '1.2.840.113549.1.12.10.1.3';

type EngineCrypto = ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'];
type ContentEncryption = Parameters<pkijs.PKCS8ShroudedKeyBag['makeInternalValues']>[0]['contentEncryptionAlgorithm'];
/** Node's WebCrypto, passed explicitly: pkijs' global engine is left alone. */
const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as EngineCrypto });

function bagAttributes(localKeyId: Uint8Array): pkijs.Attribute[] {
  return [
    new pkijs.Attribute({ type: OID_FRIENDLY_NAME, values: [new asn1js.BmpString({ value: ALIAS })] }),
    new pkijs.Attribute({ type: OID_LOCAL_KEY_ID, values: [new asn1js.OctetString({ valueHex: localKeyId.slice().buffer })] }),
  ];
}

function arrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/**
 * A PKCS#12 file holding `keyPem` and `certPem` under `passphrase`: the key shrouded with PBES2
 * (PBKDF2-HMAC-SHA256, AES-256-CBC), integrity by HMAC-SHA256 — readable by OpenSSL 3, Node and Java.
 */
export async function buildPkcs12(keyPem: string, certPem: string, passphrase: string): Promise<Buffer> {
  const password = arrayBuffer(Buffer.from(passphrase, 'utf8'));
  const keyDer = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  const certDer = new X509Certificate(certPem).raw;
  const localKeyId = new Uint8Array(randomBytes(20));
  const pfx = new pkijs.PFX({
    parsedValue: {
      integrityMode: 0,
      authenticatedSafe: new pkijs.AuthenticatedSafe({
        parsedValue: {
          safeContents: [
            {
              privacyMode: 0,
              value: new pkijs.SafeContents({
                safeBags: [
                  new pkijs.SafeBag({
                    bagId: OID_SHROUDED_KEY_BAG,
                    bagValue: new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(arrayBuffer(keyDer)) }),
                    bagAttributes: bagAttributes(localKeyId),
                  }),
                ],
              }),
            },
            {
              privacyMode: 0,
              value: new pkijs.SafeContents({
                safeBags: [
                  new pkijs.SafeBag({
                    bagId: OID_CERT_BAG,
                    bagValue: new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(arrayBuffer(certDer)) }),
                    bagAttributes: bagAttributes(localKeyId),
                  }),
                ],
              }),
            },
          ],
        },
      }),
    },
  });
  const safe = pfx.parsedValue?.authenticatedSafe;
  const keyBag = safe?.parsedValue.safeContents[0]?.value.safeBags[0]?.bagValue;
  if (!safe || !(keyBag instanceof pkijs.PKCS8ShroudedKeyBag)) throw new Error('PKCS#12 structure not built');
  await keyBag.makeInternalValues(
    { password, contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 } as ContentEncryption, hmacHashAlgorithm: 'SHA-256', iterationCount: ITERATIONS },
    engine,
  );
  await safe.makeInternalValues({ safeContents: [{}, {}] }, engine);
  await pfx.makeInternalValues({ password, iterations: ITERATIONS, pbkdf2HashAlgorithm: 'SHA-256', hmacHashAlgorithm: 'SHA-256' }, engine);
  return Buffer.from(pfx.toSchema().toBER(false));
}

/** Writes `data` to `file` (mode 0600) only if no file is there: never overwrites a keystore. */
async function createExclusively(file: string, data: Buffer): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  try {
    // link() fails with EEXIST instead of replacing: a keystore another process just wrote wins.
    await link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Creates every missing keystore the configuration asked for (TlsConfig.generateKeystore) and gives
 * it to the listeners that use it. Listeners sharing a keystore must share its secret.
 */
export async function ensureGeneratedKeystores(config: TesseraConfig, logger: Logger): Promise<void> {
  const users = tlsUsers(config, (tls) => tls.generateKeystore !== undefined && !tls.pfx);
  const byPath = new Map<string, TlsUser[]>();
  for (const u of users) {
    const file = u.tls.generateKeystore!.path;
    byPath.set(file, [...(byPath.get(file) ?? []), u]);
  }
  for (const [file, group] of byPath) {
    const [first] = group;
    const spec = first!.tls.generateKeystore!;
    const other = group.find((u) => u.tls.generateKeystore!.passphrase !== spec.passphrase);
    if (other) {
      throw new StartupError(
        `${displayPath(file)}: the keystore does not exist yet and ${first!.name} (${spec.key}) and ${other.name} (${other.tls.generateKeystore!.key}) give it different secrets; give both the same <secret> so it can be created once`,
      );
    }
    const { key, cert } = await generateSelfSignedPem(certificateNames(group));
    const pfx = await buildPkcs12(key, cert, spec.passphrase);
    await mkdir(path.dirname(file), { recursive: true });
    if (!(await createExclusively(file, pfx))) {
      throw new StartupError(`${displayPath(file)}: the keystore appeared while Tessera was creating it; start again to use it`);
    }
    const fingerprint256 = new X509Certificate(cert).fingerprint256;
    for (const u of group) {
      u.tls.pfx = pfx;
      u.tls.passphrase = spec.passphrase;
    }
    logger.warn(
      { path: file, fingerprint256, listeners: group.map((u) => u.name) },
      `created the missing keystore ${displayPath(file)} (PKCS12, alias "${ALIAS}", protected by the configured secret) with a self-signed certificate, SHA-256 fingerprint ${fingerprint256}; clients will not trust it until you replace it with a certificate for your host names`,
    );
  }
}
