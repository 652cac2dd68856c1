// DKIM signing keys (RFC 6376, RFC 8463). Tessera's own live in the data directory, one PEM file per
// domain and selector — <data dir>/dkim/<domain>/<selector>.pem, made by `tessera dkim generate` —
// and James' DKIMSign mailets name theirs in mailetcontainer.xml. Keys are generated and read with
// node:crypto; signing itself is mailauth's.
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DkimMailetKey } from '../../config/types.js';
import { ConfigError } from '../../config/errors.js';

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

export interface DkimKey {
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  /** PKCS#8 PEM, unencrypted (mailauth takes PEM text). */
  privateKey: string;
  /** Header fields this key signs (a DKIMSign template's h=); undefined = the configured list. */
  headers?: string[];
  /** Where it came from, for logs and `tessera dkim list`. */
  source: string;
}

/** RFC 8301 §3.2: verifiers may refuse RSA keys under 1024 bits; we make and accept no weaker key. */
const MIN_RSA_BITS = 1024;
export const RSA_BITS = 2048;

export class DkimKeyError extends Error {
  override readonly name = 'DkimKeyError';
}

export function dkimKeyDir(dataDir: string): string {
  return path.join(dataDir, 'dkim');
}

function keyFile(dataDir: string, domain: string, selector: string): string {
  return path.join(dkimKeyDir(dataDir), domain, `${selector}.pem`);
}

/** The signing algorithm a private key makes; throws for key types DKIM has no algorithm for. */
function algorithmOf(key: KeyObject): DkimAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519-sha256';
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new DkimKeyError(`an RSA key of ${bits} bits is too weak for DKIM (at least ${MIN_RSA_BITS}, ${RSA_BITS} recommended)`);
    return 'rsa-sha256';
  }
  throw new DkimKeyError(`a ${key.asymmetricKeyType ?? 'unknown'} key cannot sign DKIM (RSA or Ed25519 only)`);
}

function parseKey(pem: string, passphrase?: string): { key: KeyObject; algorithm: DkimAlgorithm } {
  let key: KeyObject;
  try {
    key = createPrivateKey(passphrase === undefined ? pem : { key: pem, passphrase });
  } catch (err) {
    throw new DkimKeyError(`not a readable PEM private key (${(err as Error).message})`);
  }
  return { key, algorithm: algorithmOf(key) };
}

/**
 * The TXT record publishing a key's public half (RFC 6376 §3.6.1; RFC 8463 §4: an Ed25519 key is
 * its 32 raw bytes), as zone-file text: strings longer than 255 octets are split (RFC 7208 §3.3 style).
 */
export function dnsRecord(key: DkimKey): { name: string; value: string; zone: string } {
  const pub = createPublicKey(createPrivateKey(key.privateKey));
  const der = pub.export({ type: 'spki', format: 'der' });
  // Ed25519 SPKI is a fixed 12-byte prefix followed by the raw key.
  const p = (key.algorithm === 'ed25519-sha256' ? der.subarray(der.length - 32) : der).toString('base64');
  const value = `v=DKIM1; k=${key.algorithm === 'ed25519-sha256' ? 'ed25519' : 'rsa'}; p=${p}`;
  const name = `${key.selector}._domainkey.${key.domain}`;
  const strings = value.match(/.{1,255}/g) ?? [];
  return { name, value, zone: `${name}. IN TXT ( ${strings.map((s) => `"${s}"`).join(' ')} )` };
}

/** Makes a key for `domain`/`selector` in the data directory; refuses to replace an existing one. */
export async function generateDkimKey(dataDir: string, domain: string, selector: string, kind: 'rsa' | 'ed25519'): Promise<{ file: string; key: DkimKey }> {
  const file = keyFile(dataDir, domain, selector);
  const pair = promisify(generateKeyPair);
  const { privateKey } =
    kind === 'rsa'
      ? await pair('rsa', { modulusLength: RSA_BITS, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
      : await pair('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // 'wx': never overwrite a key whose public half may already be published.
    await writeFile(file, privateKey, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new DkimKeyError(`${file} exists: choose another selector (rotate keys by selector)`);
    throw err;
  }
  return { file, key: { domain, selector, algorithm: kind === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256', privateKey, source: file } };
}

/** Every key of the data directory, by domain and selector. A malformed file is an error naming it. */
export async function readDataDirKeys(dataDir: string): Promise<DkimKey[]> {
  const dir = dkimKeyDir(dataDir);
  let domains: string[];
  try {
    domains = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const keys: DkimKey[] = [];
  for (const domain of domains.sort()) {
    for (const name of (await readdir(path.join(dir, domain))).filter((n) => n.endsWith('.pem')).sort()) {
      const file = path.join(dir, domain, name);
      let parsed: { key: KeyObject; algorithm: DkimAlgorithm };
      try {
        parsed = parseKey(await readFile(file, 'utf8'));
      } catch (err) {
        if (err instanceof DkimKeyError) throw new DkimKeyError(`${file}: ${err.message}`);
        throw err;
      }
      const privateKey = parsed.key.export({ type: 'pkcs8', format: 'pem' }).toString();
      keys.push({ domain: domain.toLowerCase(), selector: name.slice(0, -'.pem'.length).toLowerCase(), algorithm: parsed.algorithm, privateKey, source: file });
    }
  }
  return keys;
}

/** A DKIMSign mailet's key, decrypted; a key that cannot sign refuses the start, naming file and key. */
export function mailetKey(k: DkimMailetKey): DkimKey {
  let parsed: { key: KeyObject; algorithm: DkimAlgorithm };
  try {
    parsed = parseKey(k.pem, k.passphrase);
  } catch (err) {
    if (!(err instanceof DkimKeyError)) throw err;
    throw new ConfigError({ file: k.file, key: k.key, value: '(private key)', allowed: 'an RSA (2048 bits) or Ed25519 private key in PEM, with <privateKeyPassword> if it is encrypted', problem: err.message });
  }
  return {
    domain: k.domain,
    selector: k.selector,
    algorithm: parsed.algorithm,
    privateKey: parsed.key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    ...(k.headers ? { headers: k.headers } : {}),
    source: `${k.file} ${k.key}`,
  };
}
