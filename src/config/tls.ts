// TLS material for a listener: PEM key + certificate chain, or a PKCS#12 keystore. Everything is read
// and test-loaded into a SecureContext at start-up, so a wrong path, a wrong password or a key that
// does not match its certificate stops the server before it opens a port, not at the first handshake.
import { access } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import path from 'node:path';
import type { FileContext } from './context.js';
import { JCEKS_MAGIC, JKS_MAGIC, JksError, readJks } from './jks.js';
import type { TlsConfig } from './types.js';
import type { RawValue } from './xml.js';

export interface TlsInput {
  socketTLS: boolean;
  startTLS: boolean;
  privateKey?: RawValue | undefined;
  certificates?: RawValue | undefined;
  keystore?: RawValue | undefined;
  keystoreType?: RawValue | undefined;
  secret?: RawValue | undefined;
  /** How the keystore settings are spelled in this file, for the fix hints. */
  names: { keystore: string; keystoreType: string; privateKey: string; certificates: string };
  /** Key naming the TLS block, for errors about the block as a whole. */
  blockKey: string;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function loadTls(ctx: FileContext, input: TlsInput): Promise<TlsConfig> {
  const { socketTLS, startTLS, names } = input;
  if (socketTLS && startTLS) {
    ctx.fail(input.blockKey, 'socketTLS=true startTLS=true', 'choose one: socketTLS="true" for implicit TLS (993/465) or startTLS="true" for STARTTLS (143/587)', 'conflicting TLS modes');
  }
  const base: TlsConfig = { socketTLS, startTLS, selfSigned: false };
  if (!socketTLS && !startTLS) {
    const material = input.keystore ?? input.privateKey ?? input.certificates;
    if (material) ctx.warn(material.key, 'TLS material is configured but neither socketTLS nor startTLS is true, so it is not used');
    return base;
  }
  const passphrase = input.secret?.raw;
  if (input.keystore && (input.privateKey || input.certificates)) {
    ctx.fail(input.keystore.key, input.keystore.raw, `configure either ${names.keystore} or ${names.privateKey} + ${names.certificates}, not both`, 'conflicting TLS material');
  }
  if (input.keystore) return { ...base, ...(await loadKeystore(ctx, input, input.keystore, passphrase)) };
  if (input.privateKey || input.certificates) {
    if (!input.privateKey) ctx.fail(`${input.blockKey}.${names.privateKey.replace(/[<>]/g, '')}`, '', `${names.certificates} needs the matching ${names.privateKey} (PEM private key file)`, 'missing');
    if (!input.certificates) ctx.fail(`${input.blockKey}.${names.certificates.replace(/[<>]/g, '')}`, '', `${names.privateKey} needs the matching ${names.certificates} (PEM certificate chain file)`, 'missing');
    const key = (await ctx.readReferenced(input.privateKey.key, input.privateKey.raw, 'private key file')).data;
    const cert = (await ctx.readReferenced(input.certificates.key, input.certificates.raw, 'certificate file')).data;
    if (!cert.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
      ctx.fail(input.certificates.key, input.certificates.raw, 'the file holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the PEM certificate chain, server certificate first', 'unreadable certificate');
    }
    if (!key.toString('latin1').includes('PRIVATE KEY-----')) {
      ctx.fail(input.privateKey.key, input.privateKey.raw, 'the file holds no PEM private key (-----BEGIN PRIVATE KEY-----)', 'unreadable private key');
    }
    try {
      createSecureContext({ key, cert, ...(passphrase === undefined ? {} : { passphrase }) });
    } catch (err) {
      ctx.fail(input.privateKey.key, input.privateKey.raw, `Node.js cannot use this key with ${input.certificates.raw} (${errorText(err)}); check that they match and the secret of an encrypted key`, 'unusable TLS key');
    }
    return { ...base, key, cert, ...(passphrase === undefined ? {} : { passphrase }) };
  }
  // TLS is on but nothing is configured: the server generates and uses a self-signed certificate.
  return { ...base, selfSigned: true };
}

/** Keystore types James accepts here (Java's KeyStore.getInstance names, any case). */
const KEYSTORE_TYPES = ['JKS', 'PKCS12'] as const;

async function loadKeystore(ctx: FileContext, input: TlsInput, keystore: RawValue, passphrase: string | undefined): Promise<Partial<TlsConfig>> {
  const { names } = input;
  const declared = input.keystoreType?.raw.toUpperCase();
  const file = ctx.resolvePath(keystore.key, keystore.raw);
  const jceks = `Java's JCEKS keystores are not read; convert it with: keytool -importkeystore -srckeystore ${file} -srcstoretype JCEKS -destkeystore ${file}.p12 -deststoretype PKCS12, then point ${names.keystore} at the .p12 file`;
  if (declared === 'JCEKS' && input.keystoreType) ctx.fail(input.keystoreType.key, input.keystoreType.raw, jceks, 'JCEKS keystore not supported');
  if (declared !== undefined && input.keystoreType && !(KEYSTORE_TYPES as readonly string[]).includes(declared)) {
    ctx.fail(input.keystoreType.key, input.keystoreType.raw, `allowed values: ${KEYSTORE_TYPES.join(', ')} (James' default when absent: JKS; either reads both, as Java does)`);
  }
  const missing = await missingKeystore(ctx, file);
  if (missing) {
    // James' images create conf/keystore on first start; Tessera does the same (src/server/keystore.ts),
    // as PKCS#12 with the configured <secret>, which Java also opens as keystoreType JKS.
    return { generateKeystore: { path: file, key: keystore.key, passphrase: passphrase ?? '' } };
  }
  const { data } = await ctx.readReferenced(keystore.key, keystore.raw, 'keystore');
  const magic = data.length >= 4 ? data.readUInt32BE(0) : 0;
  if (magic === JCEKS_MAGIC) ctx.fail(keystore.key, keystore.raw, jceks, 'JCEKS keystore not supported');
  // Java (keystore.type.compat, on by default) opens a JKS file declared PKCS12 and a PKCS#12 file
  // declared JKS — James' default type — so the file's own format decides, not keystoreType.
  if (magic === JKS_MAGIC) {
    try {
      const identity = readJks(data, passphrase ?? '');
      if (identity.otherKeyAliases.length > 0) {
        ctx.warn(keystore.key, `the keystore holds several private keys; "${identity.alias}" is used, ${identity.otherKeyAliases.map((a) => `"${a}"`).join(', ')} ${identity.otherKeyAliases.length === 1 ? 'is' : 'are'} not`);
      }
      return { key: Buffer.from(identity.key), cert: Buffer.from(identity.chain.join('')) };
    } catch (err) {
      if (!(err instanceof JksError)) throw err;
      const fix =
        err.kind === 'password'
          ? `check its secret${input.secret ? ` (${input.secret.key})` : ' (none is set, so the empty password was tried)'}`
          : 'check the file, or convert it to PKCS12 with keytool -importkeystore';
      ctx.fail(keystore.key, keystore.raw, `the JKS keystore ${file} cannot be used: ${err.message}; ${fix}`, 'unreadable keystore');
    }
  }
  try {
    createSecureContext({ pfx: data, ...(passphrase === undefined ? {} : { passphrase }) });
  } catch (err) {
    ctx.fail(keystore.key, keystore.raw, `Node.js cannot open this PKCS#12 keystore (${errorText(err)}); check the file and its secret`, 'unreadable keystore');
  }
  return { pfx: data, ...(passphrase === undefined ? {} : { passphrase }) };
}

/**
 * True when the keystore does not exist yet but may be created: it is inside the conf directory,
 * where James' images put the keystore they generate. A missing file anywhere else is a wrong path.
 */
async function missingKeystore(ctx: FileContext, file: string): Promise<boolean> {
  const rel = path.relative(ctx.confDir, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return false;
  try {
    await access(file);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
