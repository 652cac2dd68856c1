// A Tessera node for cluster tests: a real `tessera serve` process with a conf directory of its own,
// storage.engine=postgres on a shared database, an SMTP listener on port 0, and remote mail through
// a smarthost (a test sink). Killed with SIGKILL or stopped with SIGTERM by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../cli/run-tessera.js';
import { withDeadline } from '../support/wait.js';

export const CLUSTER_DOMAIN = 'cluster.test';

export interface NodeOptions {
  /** The shared PostgreSQL database. */
  url: string;
  /** Port of the smarthost every remote message goes to. */
  smarthostPort: number;
  /** outbound.leaseTime / outbound.pollInterval. */
  leaseTime?: string;
  pollInterval?: string;
}

export interface ClusterNode {
  readonly child: ChildProcess;
  /** Port of the node's SMTP listener. */
  readonly smtpPort: number;
  stderr(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export async function startNode(name: string, options: NodeOptions): Promise<ClusterNode> {
  const root = await mkdtemp(join(tmpdir(), `tessera-${name}-`));
  const confDir = join(root, 'conf');
  await mkdir(confDir);
  const files: Record<string, string> = {
    'tessera.properties': [
      `data.dir=${join(root, 'var')}`,
      'storage.engine=postgres',
      `storage.postgres.url=${options.url}`,
      'storage.postgres.poolSize=4',
      `outbound.leaseTime=${options.leaseTime ?? '60s'}`,
      `outbound.pollInterval=${options.pollInterval ?? '30s'}`,
      'log.level=info',
      'shutdown.timeout=2',
      '',
    ].join('\n'),
    'domainlist.xml': `<domainlist><domainnames><domainname>${CLUSTER_DOMAIN}</domainname></domainnames><defaultDomain>${CLUSTER_DOMAIN}</defaultDomain></domainlist>\n`,
    'usersrepository.xml': '<usersrepository name="LocalUsers" class="embedded"><enableVirtualHosting>true</enableVirtualHosting></usersrepository>\n',
    'smtpserver.xml': `<smtpservers><smtpserver enabled="true"><jmxName>smtp-mx</jmxName><bind>127.0.0.1:0</bind>
      <helloName autodetect="false">${name}.${CLUSTER_DOMAIN}</helloName><auth><announce>never</announce></auth></smtpserver></smtpservers>\n`,
    'mailetcontainer.xml': `<mailetcontainer><context><postmaster>postmaster</postmaster></context><processors>
      <processor state="relay"><mailet match="All" class="RemoteDelivery"><gateway>127.0.0.1</gateway><gatewayPort>${options.smarthostPort}</gatewayPort></mailet></processor>
      </processors></mailetcontainer>\n`,
  };
  for (const [file, text] of Object.entries(files)) await writeFile(join(confDir, file), text);
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['TESSERA_CONF', 'TESSERA_DATA_DIR', 'TESSERA_LOG_LEVEL']) delete base[k];
  const child = spawn(process.execPath, [BIN, 'serve', '--conf', confDir], {
    env: { ...base, TESSERA_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout!.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = new Promise<boolean>((resolve) => {
    child.stderr!.on('data', (d: Buffer) => {
      // Keep the log bounded: only the start-up part is needed to find the port.
      if (stderr.length < 1_000_000) stderr += d.toString();
      if (stderr.includes('"msg":"tessera started"')) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  const cleanup = (): Promise<void> => rm(root, { recursive: true, force: true });
  if (!(await withDeadline(started, 90_000, `${name} to start`))) {
    await cleanup();
    throw new Error(`${name} exited at start: ${stderr.slice(-2000)}`);
  }
  const listening = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; server?: string; addresses?: string[] })
    .find((l) => l.msg === 'listening' && l.server === 'smtp-mx');
  const address = listening?.addresses?.[0]?.split(' ')[0];
  if (!address) throw new Error(`${name}: no listening line for smtp-mx`);
  const smtpPort = Number(/:(\d+)$/.exec(address)?.[1] ?? new URL(address).port);
  return {
    child,
    smtpPort,
    stderr: () => stderr,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await withDeadline(exited, 10_000, `${name} to die`);
      await cleanup();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await withDeadline(exited, 30_000, `${name} to stop`);
      await cleanup();
    },
  };
}
