// A whole Tessera (runServe with the real protocol factories) on a throw-away conf directory, for
// end-to-end tests that drive IMAP, SMTP, POP3 and JMAP with real clients against one store.
//
// Every listener binds 127.0.0.1 port 0; the bound ports are read back from the running servers.
// The <oidc> blocks point at a real `oidc-provider` started by the test (startTestIdp), so bearer
// tokens work on every protocol; the development IdP and the demo user are off. JMAP serves plain
// HTTP with passwords allowed there (Node's fetch cannot be told to trust a self-signed certificate
// without undici), while IMAP, SMTP and POP3 use the generated self-signed certificate as in production.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runServe, type RunningServer } from '../../src/server/serve.js';
import { protocolFactories } from '../../src/server/protocols.js';
import type { TestIdp } from '../support/oidc-provider.js';
import { withDeadline } from '../support/wait.js';
import { jmapProperties, listenerPort, oidcXml } from '../support/tessera-conf.js';

export const DOMAIN = 'example.test';
export const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];

/** Collects the JSON log, so a failing test can show what the server said. */
export class LogSink extends Writable {
  private readonly lines: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.lines.push(chunk.toString());
    callback();
  }

  text(): string {
    return this.lines.join('');
  }
}

export interface E2eConf {
  root: string;
  confDir: string;
  dataDir: string;
  dispose(): Promise<void>;
}

function imapBlock(name: string, implicitTls: boolean, idp: TestIdp): string {
  return `
    <imapserver enabled="true">
        <jmxName>${name}</jmxName>
        <bind>127.0.0.1:0</bind>
        <tls socketTLS="${implicitTls}" startTLS="${!implicitTls}"/>
        <auth>
            <plainAuthEnabled>true</plainAuthEnabled>
            <requireSSL>true</requireSSL>
            ${oidcXml(idp)}
        </auth>
        <tokenExpiry action="ignore"/>
    </imapserver>`;
}

function smtpBlock(name: string, role: 'mx' | 'submission' | 'smtps', idp: TestIdp): string {
  const auth =
    role === 'mx'
      ? `<announce>never</announce><requireAuthForRelay>true</requireAuthForRelay><plainAuthEnabled>false</plainAuthEnabled><requireSSL>true</requireSSL>`
      : `<announce>always</announce><requireAuthForRelay>true</requireAuthForRelay><plainAuthEnabled>true</plainAuthEnabled><requireSSL>true</requireSSL>${oidcXml(idp)}`;
  return `
    <smtpserver enabled="true">
        <jmxName>${name}</jmxName>
        <bind>127.0.0.1:0</bind>
        <tls socketTLS="${role === 'smtps'}" startTLS="${role !== 'smtps'}"/>
        <helloName autodetect="false">mail.${DOMAIN}</helloName>
        <auth>${auth}</auth>
        <verifyIdentity>true</verifyIdentity>
        <tokenExpiry action="ignore"/>
    </smtpserver>`;
}

function pop3Block(name: string, implicitTls: boolean, idp: TestIdp): string {
  return `
    <pop3server enabled="true">
        <jmxName>${name}</jmxName>
        <bind>127.0.0.1:0</bind>
        <tls socketTLS="${implicitTls}" startTLS="${!implicitTls}"/>
        <helloName autodetect="false">mail.${DOMAIN}</helloName>
        <auth>
            <plainAuthEnabled>true</plainAuthEnabled>
            <requireSSL>true</requireSSL>
            ${oidcXml(idp)}
        </auth>
        <tokenExpiry action="ignore"/>
    </pop3server>`;
}

/**
 * A ManageSieve listener on STARTTLS with the provider's tokens; `plainAuthEnabled` and `extra` (more
 * elements inside the block) are what the tests vary.
 */
export function managesieveBlock(name: string, idp: TestIdp, options: { plainAuthEnabled: boolean; extra?: string }): string {
  return `
    <managesieveserver enabled="true">
        <jmxName>${name}</jmxName>
        <bind>127.0.0.1:0</bind>
        <tls socketTLS="false" startTLS="true"/>
        <helloName autodetect="false">mail.${DOMAIN}</helloName>${options.extra ?? ''}
        <auth>
            <plainAuthEnabled>${options.plainAuthEnabled}</plainAuthEnabled>
            <requireSSL>true</requireSSL>
            ${oidcXml(idp)}
        </auth>
        <tokenExpiry action="ignore"/>
    </managesieveserver>`;
}

/** Writes managesieveserver.xml with the given listener blocks. */
export async function writeManagesieveConf(conf: E2eConf, blocks: string[]): Promise<void> {
  await writeFile(join(conf.confDir, 'managesieveserver.xml'), `<managesieveservers>${blocks.join('')}\n</managesieveservers>\n`);
}

/** Writes a complete James-layout conf directory (all listeners on port 0) under a fresh temp dir. */
export async function writeE2eConf(idp: TestIdp): Promise<E2eConf> {
  const root = await mkdtemp(join(tmpdir(), 'tessera-e2e-'));
  const confDir = join(root, 'conf');
  const dataDir = join(root, 'var');
  await mkdir(confDir);
  const files: Record<string, string> = {
    'tessera.properties': [
      `data.dir=${dataDir}`,
      'storage.engine=sqlite',
      'log.level=info',
      'devIdp.enabled=false',
      'shutdown.timeout=2',
      'demo.seed=false',
      '',
    ].join('\n'),
    'domainlist.xml': `<domainlist>
  <domainnames><domainname>${DOMAIN}</domainname></domainnames>
  <defaultDomain>${DOMAIN}</defaultDomain>
</domainlist>\n`,
    'usersrepository.xml': `<usersrepository name="LocalUsers" class="embedded">
  <enableVirtualHosting>true</enableVirtualHosting>
</usersrepository>\n`,
    'imapserver.xml': `<imapservers>${imapBlock('imap', false, idp)}${imapBlock('imaps', true, idp)}\n</imapservers>\n`,
    'smtpserver.xml': `<smtpservers>${smtpBlock('smtp-mx', 'mx', idp)}${smtpBlock('smtp-submission', 'submission', idp)}${smtpBlock('smtps', 'smtps', idp)}\n</smtpservers>\n`,
    'pop3server.xml': `<pop3servers>${pop3Block('pop3', false, idp)}${pop3Block('pop3s', true, idp)}\n</pop3servers>\n`,
    'jmap.properties': jmapProperties(idp, { strategies: 'basic,jwt', plainAuthEnabled: true, tokenExpiry: 'ignore' }),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(confDir, name), text);
  return { root, confDir, dataDir, dispose: () => rm(root, { recursive: true, force: true }) };
}

export interface Endpoints {
  imap: number;
  imaps: number;
  smtpMx: number;
  submission: number;
  smtps: number;
  /** POP3 with STLS, and POP3 over implicit TLS. */
  pop3: number;
  pop3s: number;
  jmap: string;
}

export interface E2eServer {
  running: RunningServer;
  endpoints: Endpoints;
  log: LogSink;
  stdout: LogSink;
}

export async function startTessera(conf: E2eConf): Promise<E2eServer> {
  const log = new LogSink();
  const stdout = new LogSink();
  const running = await runServe({ confDir: conf.confDir, factories: protocolFactories, io: { stdout, logDestination: log, env: {} } });
  const endpoints: Endpoints = {
    imap: listenerPort(running, 'imap'),
    imaps: listenerPort(running, 'imaps'),
    smtpMx: listenerPort(running, 'smtp-mx'),
    submission: listenerPort(running, 'smtp-submission'),
    smtps: listenerPort(running, 'smtps'),
    pop3: listenerPort(running, 'pop3'),
    pop3s: listenerPort(running, 'pop3s'),
    jmap: `http://127.0.0.1:${listenerPort(running, 'jmap')}`,
  };
  return { running, endpoints, log, stdout };
}

/** The e2e tests' name for the one deadline helper (test/support/wait.ts). */
export const withTimeout = withDeadline;

/** A queue of received items with waiters: `next(pred)` resolves with the first match, past or future. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<{ pred: (item: T) => boolean; resolve: (item: T) => void }> = [];

  push(item: T): void {
    this.items.push(item);
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i]!;
      if (w.pred(item)) {
        this.waiters.splice(i, 1);
        this.items.splice(this.items.indexOf(item), 1);
        w.resolve(item);
        return;
      }
    }
  }

  /** Forgets what arrived so far (call before the action whose effect is awaited). */
  clear(): void {
    this.items.length = 0;
  }

  next(pred: (item: T) => boolean, ms: number, what: string): Promise<T> {
    const idx = this.items.findIndex(pred);
    if (idx >= 0) return Promise.resolve(this.items.splice(idx, 1)[0]!);
    let entry: { pred: (item: T) => boolean; resolve: (item: T) => void } | undefined;
    const p = new Promise<T>((resolve) => {
      entry = { pred, resolve };
      this.waiters.push(entry);
    });
    return withTimeout(p, ms, what).catch((err: unknown) => {
      const i = this.waiters.indexOf(entry!);
      if (i >= 0) this.waiters.splice(i, 1);
      throw err;
    });
  }

  all(): readonly T[] {
    return this.items;
  }
}

export type Invocation = [string, Record<string, unknown>, string];

/** A minimal JMAP client over fetch: one Authorization header value, method calls in, responses out. */
export class JmapClient {
  constructor(
    readonly baseUrl: string,
    readonly authorization: string,
  ) {}

  static basic(baseUrl: string, user: string, password: string): JmapClient {
    return new JmapClient(baseUrl, 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64'));
  }

  static bearer(baseUrl: string, token: string): JmapClient {
    return new JmapClient(baseUrl, `Bearer ${token}`);
  }

  async session(): Promise<{ accountId: string; body: Record<string, unknown> }> {
    const res = await fetch(`${this.baseUrl}/jmap/session`, { headers: { Authorization: this.authorization } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /jmap/session answered ${res.status}: ${text}`);
    const body = JSON.parse(text) as { primaryAccounts: Record<string, string> };
    const accountId = body.primaryAccounts['urn:ietf:params:jmap:mail'];
    if (!accountId) throw new Error(`session has no mail account: ${text}`);
    return { accountId, body: body as unknown as Record<string, unknown> };
  }

  async call(methodCalls: Invocation[], using: readonly string[] = USING): Promise<Invocation[]> {
    const res = await fetch(`${this.baseUrl}/jmap`, {
      method: 'POST',
      headers: { Authorization: this.authorization, 'Content-Type': 'application/json' },
      body: JSON.stringify({ using, methodCalls }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`POST /jmap answered ${res.status}: ${text}`);
    return (JSON.parse(text) as { methodResponses: Invocation[] }).methodResponses;
  }

  /** Runs one method and returns its arguments, failing on a method-level error. */
  async one(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const [response] = await this.call([[name, args, '0']]);
    if (!response) throw new Error(`${name}: no response`);
    if (response[0] !== name) throw new Error(`${name} answered ${response[0]}: ${JSON.stringify(response[1])}`);
    return response[1];
  }
}
