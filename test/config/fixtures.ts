// Conf directories written into fresh temp dirs, and TLS material generated for them: PEM pairs
// from `selfsigned`, PKCS#12 bundles from the openssl CLI, and a file with the JKS magic number.
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';

const run = promisify(execFile);

export interface TempConf {
  /** The James home: parent of confDir, where file://conf/... paths start. */
  home: string;
  confDir: string;
  load(env?: NodeJS.ProcessEnv): Promise<LoadedConfig>;
  cleanup(): Promise<void>;
}

/** Writes `files` (name → content) into <tmp>/conf; names may contain sub-paths relative to home with "../". */
export async function tempConf(files: Record<string, string | Buffer>): Promise<TempConf> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'tessera-conf-'));
  const confDir = path.join(home, 'conf');
  await mkdir(confDir);
  for (const [name, content] of Object.entries(files)) {
    const target = path.join(confDir, name);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return {
    home,
    confDir,
    load: (env: NodeJS.ProcessEnv = {}) => loadConfig(confDir, { env }),
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

export interface PemPair {
  key: string;
  cert: string;
}

let cachedPems: Promise<[PemPair, PemPair]> | undefined;

/** Two unrelated key/certificate pairs (generated once per test process: RSA keygen is slow). */
export function pemPairs(): Promise<[PemPair, PemPair]> {
  cachedPems ??= (async () => {
    const one = await generate([{ name: 'commonName', value: 'mail.test' }], { keySize: 2048 });
    const two = await generate([{ name: 'commonName', value: 'other.test' }], { keySize: 2048 });
    return [
      { key: one.private, cert: one.cert },
      { key: two.private, cert: two.cert },
    ];
  })();
  return cachedPems;
}

/** A PKCS#12 bundle of `pair`, protected by `password`, made by the openssl CLI. */
export async function pkcs12(pair: PemPair, password: string): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-p12-'));
  try {
    await writeFile(path.join(dir, 'key.pem'), pair.key);
    await writeFile(path.join(dir, 'cert.pem'), pair.cert);
    const out = path.join(dir, 'bundle.p12');
    await run('openssl', ['pkcs12', '-export', '-inkey', 'key.pem', '-in', 'cert.pem', '-out', out, '-passout', `pass:${password}`], { cwd: dir });
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A Java keystore (JKS or JCEKS) holding `pair` under the alias "james", written by the JDK's own
 * keytool from a PKCS#12 bundle (store and key password both `password`, as James opens them).
 */
export async function javaKeystore(pair: PemPair, password: string, type: 'JKS' | 'JCEKS' = 'JKS'): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-jks-'));
  try {
    const p12 = path.join(dir, 'bundle.p12');
    await writeFile(p12, await pkcs12(pair, password));
    const out = path.join(dir, 'keystore');
    await run('keytool', [
      '-importkeystore', '-noprompt',
      '-srckeystore', p12, '-srcstoretype', 'PKCS12', '-srcstorepass', password, '-srcalias', '1',
      '-destkeystore', out, '-deststoretype', type, '-deststorepass', password, '-destkeypass', password, '-destalias', 'james',
    ]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One <imapserver> block inside <imapservers>. */
export function imapXml(...blocks: string[]): string {
  return `<?xml version="1.0"?>\n<imapservers>\n${blocks.join('\n')}\n</imapservers>\n`;
}

export function smtpXml(...blocks: string[]): string {
  return `<?xml version="1.0"?>\n<smtpservers>\n${blocks.join('\n')}\n</smtpservers>\n`;
}

export function imapBlock(inner: string, bind = '127.0.0.1:0', attrs = ''): string {
  return `<imapserver${attrs}><bind>${bind}</bind>${inner}</imapserver>`;
}

export function smtpBlock(inner: string, bind = '127.0.0.1:0', attrs = ''): string {
  return `<smtpserver${attrs}><bind>${bind}</bind>${inner}</smtpserver>`;
}

export interface ExpectedError {
  /** File name inside the conf dir (e.g. "imapserver.xml"), or "environment". */
  file: string;
  key: string;
  /** The offending value as written ('' when missing). */
  value: string;
  /** Text of the fix / what is allowed that must appear in the message. */
  fix: string;
}

/** Loads `files` and asserts one ConfigError naming file, key, value and fix on one line. */
export async function expectConfigError(files: Record<string, string | Buffer>, expected: ExpectedError, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  const conf = await tempConf(files);
  try {
    const err = await conf.load(env).then(
      () => assert.fail(`expected a ConfigError for ${expected.key}`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
    const expectedFile = expected.file === 'environment' ? 'environment' : path.join(conf.confDir, expected.file);
    assert.equal(err.file, expectedFile);
    assert.equal(err.key, expected.key);
    assert.equal(err.value, expected.value);
    assert.ok(!err.message.includes('\n'), `message is not one line: ${err.message}`);
    assert.ok(err.message.includes(err.file), `message lacks the file: ${err.message}`);
    assert.ok(err.message.includes(expected.key), `message lacks the key: ${err.message}`);
    if (expected.value !== '') assert.ok(err.message.includes(expected.value), `message lacks the value: ${err.message}`);
    assert.ok(err.message.includes(expected.fix), `message lacks "${expected.fix}": ${err.message}`);
    return err;
  } finally {
    await conf.cleanup();
  }
}

export interface ExpectedWarning {
  file: string;
  key: string;
  /** Fragments the warning message must contain. */
  includes: string[];
}

/** Loads `files` and asserts the warning is present; returns the loaded config for further checks. */
export async function expectWarning(files: Record<string, string | Buffer>, expected: ExpectedWarning): Promise<LoadedConfig> {
  const conf = await tempConf(files);
  try {
    const loaded = await conf.load();
    const match = loaded.warnings.find((w) => w.key === expected.key && w.file === path.join(conf.confDir, expected.file));
    assert.ok(match, `no warning for ${expected.key}; got ${JSON.stringify(loaded.warnings)}`);
    for (const fragment of expected.includes) assert.ok(match.message.includes(fragment), `warning "${match.message}" lacks "${fragment}"`);
    return loaded;
  } finally {
    await conf.cleanup();
  }
}

/** Loads `files`, asserting no warnings at all. */
export async function loadClean(files: Record<string, string | Buffer>, env: NodeJS.ProcessEnv = {}): Promise<LoadedConfig> {
  const conf = await tempConf(files);
  try {
    const loaded = await conf.load(env);
    assert.deepEqual(loaded.warnings, []);
    return loaded;
  } finally {
    await conf.cleanup();
  }
}
