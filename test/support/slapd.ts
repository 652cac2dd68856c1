// A real OpenLDAP server for tests: its own slapd on 127.0.0.1 and a free port, configured from a
// generated slapd.conf under a fresh temp directory, loaded with an `ou=people` tree. It can be
// stopped and started again on the same port with the same data, to test reconnection.
import { canConnect } from './tcp.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { waitFor } from './wait.js';
import {
  baseEntries,
  defaultLayout,
  slapdConf,
  sshaHash,
  userEntry,
  type LdapEntry,
  type SlapdLayout,
  type SlapdUser,
} from './slapd-config.js';

export { sshaHash, type SlapdUser } from './slapd-config.js';

export const SLAPD_PATH = process.env.TESSERA_SLAPD ?? '/usr/sbin/slapd';
const INSTALL_HINT = 'install the Debian packages: apt-get install -y slapd ldap-utils';

export class SlapdUnavailableError extends Error {
  override readonly name = 'SlapdUnavailableError';
}

export function slapdInstalled(): boolean {
  try {
    accessSync(SLAPD_PATH, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Value for `describe(name, { skip })`. Without slapd the tests skip with a one-line notice, except
 * under CI=true, where they run and fail in `startSlapd` with the install hint: CI must not pass by
 * silently testing nothing.
 */
export function slapdSkipReason(): string | false {
  if (slapdInstalled() || process.env.CI === 'true') return false;
  const notice = `slapd not found at ${SLAPD_PATH}; LDAP tests skipped (${INSTALL_HINT})`;
  console.log(notice);
  return notice;
}

export interface SlapdOptions {
  users?: SlapdUser[];
  /** Serve StartTLS and ldaps:// with a freshly generated self-signed certificate for 127.0.0.1. */
  tls?: boolean;
  suffix?: string;
  /**
   * Let a DN with an empty password bind (RFC 4513 "unauthenticated bind"), as some directories do,
   * to prove that the repository never takes such a bind for a correct password.
   */
  allowUnauthenticatedBind?: boolean;
}

export interface SlapdServer extends SlapdLayout {
  readonly port: number;
  /** `ldap://127.0.0.1:<port>` */
  readonly url: string;
  /** PEM of the certificate slapd presents on StartTLS and ldaps:// (its own CA), when `tls` was asked for. */
  readonly caCert: string | undefined;
  /** `ldaps://127.0.0.1:<port>`, when `tls` was asked for. */
  readonly ldapsUrl: string | undefined;
  readonly running: boolean;
  /** Stops slapd and waits for it to exit; the data stays. */
  stop(): Promise<void>;
  /** Starts slapd again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops slapd and deletes its directory. */
  close(): Promise<void>;
  /** Adds a user entry as the root DN; returns its DN. */
  addUser(user: SlapdUser): Promise<string>;
  /** Replaces the userPassword of the entry at `dn`. */
  setPassword(dn: string, password: string): Promise<void>;
  deleteEntry(dn: string): Promise<void>;
  /** A client bound as the root DN; the caller unbinds it. */
  adminClient(): Promise<Client>;
}

/** A port that was free a moment ago (slapd needs a number, it cannot report an ephemeral port). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}


class SlapdProcess implements SlapdServer {
  readonly url: string;
  readonly ldapsUrl: string | undefined;
  readonly suffix: string;
  readonly rootDn: string;
  readonly rootPassword: string;
  readonly serviceDn: string;
  readonly servicePassword: string;
  readonly peopleDn: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(
    readonly dir: string,
    readonly port: number,
    private readonly layout: SlapdLayout,
    readonly caCert: string | undefined,
    private readonly ldapsPort: number | undefined,
  ) {
    this.url = `ldap://127.0.0.1:${port}`;
    this.ldapsUrl = ldapsPort ? `ldaps://127.0.0.1:${ldapsPort}` : undefined;
    this.suffix = layout.suffix;
    this.rootDn = layout.rootDn;
    this.rootPassword = layout.rootPassword;
    this.serviceDn = layout.serviceDn;
    this.servicePassword = layout.servicePassword;
    this.peopleDn = layout.peopleDn;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) return;
    // -d 0 keeps slapd in the foreground (so we own its pid) without printing debug output.
    const listeners = this.ldapsUrl ? `${this.url}/ ${this.ldapsUrl}/` : `${this.url}/`;
    const child = spawn(SLAPD_PATH, ['-d', '0', '-h', listeners, '-f', join(this.dir, 'slapd.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-4000);
    });
    let exitCode: number | null | undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        exitCode = code;
        if (this.child === child) this.child = undefined;
        process.removeListener('exit', this.killOnExit);
        resolve();
      });
      child.once('error', (err) => {
        stderr += String(err);
        exitCode = -1;
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
    this.child = child;
    process.once('exit', this.killOnExit);
    const exited = (): SlapdUnavailableError =>
      new SlapdUnavailableError(`slapd exited (code ${exitCode}) on port ${this.port}: ${stderr.trim()}`);
    try {
      // Listening is no event slapd reports: its ports are tried until they answer (or it exits).
      await waitFor(`slapd to listen on port ${this.port}`, async () => {
        if (exitCode !== undefined) throw exited();
        return (await canConnect(this.port)) && (!this.ldapsPort || (await canConnect(this.ldapsPort)));
      }, 15_000);
    } catch (err) {
      if (err instanceof SlapdUnavailableError) throw err;
      await this.stop();
      throw new SlapdUnavailableError(`slapd did not listen on port ${this.port} within 15 s: ${stderr.trim()}`);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(killer);
  }

  async close(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  async adminClient(): Promise<Client> {
    const client = new Client({ url: this.url, connectTimeout: 5_000, timeout: 10_000 });
    await client.bind(this.rootDn, this.rootPassword);
    return client;
  }

  async addEntries(entries: LdapEntry[]): Promise<void> {
    const client = await this.adminClient();
    try {
      for (const e of entries) await client.add(e.dn, e.attributes);
    } finally {
      await client.unbind();
    }
  }

  async addUser(user: SlapdUser): Promise<string> {
    const entry = userEntry(this.layout, user);
    const client = await this.adminClient();
    try {
      if (user.ou) {
        const ouDn = entry.dn.slice(entry.dn.indexOf(',') + 1);
        const exists = await client
          .search(ouDn, { scope: 'base' })
          .then(() => true)
          .catch(() => false);
        if (!exists) await client.add(ouDn, { objectClass: ['organizationalUnit'], ou: [user.ou] });
      }
      await client.add(entry.dn, entry.attributes);
    } finally {
      await client.unbind();
    }
    return entry.dn;
  }

  async setPassword(dn: string, password: string): Promise<void> {
    const client = await this.adminClient();
    try {
      await client.modify(
        dn,
        new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: [sshaHash(password)] }) }),
      );
    } finally {
      await client.unbind();
    }
  }

  async deleteEntry(dn: string): Promise<void> {
    const client = await this.adminClient();
    try {
      await client.del(dn);
    } finally {
      await client.unbind();
    }
  }
}

async function selfSignedFor127(dir: string): Promise<{ certFile: string; keyFile: string; cert: string }> {
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  const certFile = join(dir, 'tls-cert.pem');
  const keyFile = join(dir, 'tls-key.pem');
  await writeFile(certFile, pems.cert);
  await writeFile(keyFile, pems.private, { mode: 0o600 });
  return { certFile, keyFile, cert: pems.cert };
}

/** Starts a slapd loaded with the base tree, the service account and `options.users`. */
export async function startSlapd(options: SlapdOptions = {}): Promise<SlapdServer> {
  if (!slapdInstalled()) throw new SlapdUnavailableError(`slapd not found at ${SLAPD_PATH}; ${INSTALL_HINT}`);
  const dir = await mkdtemp(join(tmpdir(), 'tessera-slapd-'));
  try {
    await mkdir(join(dir, 'data'));
    const layout = defaultLayout(options.suffix);
    const tls = options.tls ? await selfSignedFor127(dir) : undefined;
    await writeFile(join(dir, 'slapd.conf'), slapdConf(dir, layout, { tls, allowUnauthenticatedBind: options.allowUnauthenticatedBind }), { mode: 0o600 });
    // The port can be taken between freePort() and slapd's bind; try a few before giving up.
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new SlapdProcess(dir, await freePort(), layout, tls?.cert, tls ? await freePort() : undefined);
      try {
        await server.start();
      } catch (err) {
        lastError = err;
        continue;
      }
      try {
        await server.addEntries(baseEntries(layout));
        for (const user of options.users ?? []) await server.addUser(user);
      } catch (err) {
        await server.stop();
        throw err;
      }
      return server;
    }
    throw lastError;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
