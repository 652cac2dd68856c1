// Tessera nodes on one PostgreSQL database, each in a process of its own (node-child.ts) with its own
// conf and data directory (as separate machines would) and every listener on port 0; they share the
// database only. Two confs: `startCluster` runs the full e2e conf (IMAP, SMTP, JMAP, OIDC) on a shared
// schema, for the cluster tests and bench/cluster; `startRelayNode` runs an SMTP-only node relaying
// remote mail to a smarthost, for the queue and crash tests. Logs come back as parsed JSON lines, so
// a test can wait for what a node said (its event-bus node id, a resync) under a deadline; a node
// stops cleanly (stdin closed) or is killed with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestIdp } from '../support/oidc-provider.js';
import { Inbox, withTimeout, writeE2eConf, type E2eConf } from '../e2e/harness.js';

export interface NodeEndpoints {
  imap: number;
  smtpMx: number;
  submission: number;
  jmap: string;
  /** The control listener (/metrics), with ClusterOptions.control. */
  control?: string;
}

/** The READY line of node-child.ts: SMTP always, the others where the conf has them. */
type ReadyEndpoints = Partial<NodeEndpoints> & { smtpMx: number };

/** One node process, whichever conf it runs. */
export interface NodeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every JSON log line the node wrote, from start. */
  readonly log: Inbox<Record<string, unknown>>;
  /** Every log line kept for failure messages. */
  readonly logText: () => string;
  /** Clean shutdown (closes stdin), then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, as a machine lost mid-work, then waits for the exit. */
  kill9(): Promise<void>;
}

export interface ClusterNode extends NodeProcess {
  readonly endpoints: NodeEndpoints;
  /** The node's id on the event bus (its LISTEN connection is `tessera-events-listen <id>`); empty below log level info. */
  readonly busNode: string;
}

export interface RelayNode extends NodeProcess {
  /** Port of the node's SMTP listener. */
  readonly smtpPort: number;
}

export interface ClusterOptions {
  idp: TestIdp;
  /** The database and schema all nodes share. */
  url: string;
  schema: string;
  nodes: number;
  /** Created on every node (skipped where they exist already). */
  users: Array<[string, string]>;
  poolSize?: number;
  logLevel?: string;
  /** Start the control listener (/metrics) on each node. */
  control?: boolean;
  /** More lines for every node's tessera.properties and jmap.properties. */
  properties?: string[];
  jmapProperties?: string[];
}

const CHILD = fileURLToPath(new URL('./node-child.ts', import.meta.url));
const START_MS = 180_000;

export async function startCluster(options: ClusterOptions): Promise<{ nodes: ClusterNode[]; stop(): Promise<void> }> {
  const confs: E2eConf[] = [];
  const started = await Promise.allSettled(
    Array.from({ length: options.nodes }, async (_, i) => {
      const conf = await writeE2eConf(options.idp);
      confs.push(conf);
      await writeFile(
        join(conf.confDir, 'tessera.properties'),
        [
          `data.dir=${conf.dataDir}`,
          'storage.engine=postgres',
          `storage.postgres.url=${options.url}`,
          `storage.postgres.schema=${options.schema}`,
          `storage.postgres.poolSize=${options.poolSize ?? 4}`,
          `log.level=${options.logLevel ?? 'info'}`,
          'devIdp.enabled=false',
          'shutdown.timeout=2',
          'demo.seed=false',
          ...(options.control ? ['control.http.enabled=true', 'control.http.bind=127.0.0.1:0'] : []),
          ...(options.properties ?? []),
          '',
        ].join('\n'),
      );
      if (options.jmapProperties) await appendFile(join(conf.confDir, 'jmap.properties'), `\n${options.jmapProperties.join('\n')}\n`);
      const name = String.fromCharCode(65 + i);
      const infoLogged = (options.logLevel ?? 'info') === 'info' || options.logLevel === 'debug';
      return clusterNode(await launchNode(name, conf.confDir, options.users, async () => undefined), infoLogged);
    }),
  );
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all(confs.map((c) => c.dispose()));
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { nodes, stop };
}

/** A node of the full conf: every endpoint present, and its event-bus id once it listens. */
async function clusterNode(node: NodeProcess & { ready: ReadyEndpoints }, infoLogged: boolean): Promise<ClusterNode> {
  const { ready, ...rest } = node;
  try {
    const { imap, submission, jmap } = ready;
    if (imap === undefined || submission === undefined || jmap === undefined) throw new Error(`node ${node.name} lacks IMAP, submission or JMAP: ${JSON.stringify(ready)}`);
    // The node id is logged at level info; below it (benchmarks) nobody needs it.
    const busLine = infoLogged ? await node.log.next((l) => l.msg === 'event bus: listening for the other nodes', 5000, `node ${node.name}'s event bus`) : undefined;
    return { ...rest, endpoints: { ...ready, imap, submission, jmap }, busNode: String(busLine?.node ?? '') };
  } catch (err) {
    await node.stop();
    throw err;
  }
}

/** Spawns node-child.ts on `confDir`; `cleanup` runs once the process is gone (stopped or killed). */
async function launchNode(name: string, confDir: string, users: Array<[string, string]>, cleanup: () => Promise<void>): Promise<NodeProcess & { ready: ReadyEndpoints }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, confDir], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TESSERA_NODE_USERS: JSON.stringify(users) },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = new Inbox<Record<string, unknown>>();
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    lines.push(line);
    try {
      log.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // Not a log line (a stack trace from tsx): kept in the text only.
    }
  });
  const ready = new Promise<ReadyEndpoints>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('READY ')) resolve(JSON.parse(line.slice(6)) as ReadyEndpoints);
    });
    void exited.then(() => reject(new Error(`node ${name} exited before it was ready:\n${lines.join('\n')}`)));
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const stop = async (): Promise<void> => {
    if (running()) {
      child.stdin!.end();
      await withTimeout(exited, 15_000, `node ${name} to stop`).catch(() => {
        child.kill('SIGKILL');
        return exited;
      });
    }
    await cleanup();
  };
  const kill9 = async (): Promise<void> => {
    if (running()) child.kill('SIGKILL');
    await withTimeout(exited, 10_000, `node ${name} to die`);
    await cleanup();
  };
  try {
    return { name, child, ready: await withTimeout(ready, START_MS, `node ${name} to start`), log, logText: () => lines.join('\n'), stop, kill9 };
  } catch (err) {
    await stop();
    throw err;
  }
}

export const CLUSTER_DOMAIN = 'cluster.test';

export interface RelayNodeOptions {
  /** The shared PostgreSQL database. */
  url: string;
  /** Port of the smarthost every remote message goes to. */
  smarthostPort: number;
  /** outbound.leaseTime / outbound.pollInterval. */
  leaseTime?: string;
  pollInterval?: string;
}

/**
 * A node with an SMTP listener only, the domain CLUSTER_DOMAIN (users created by the test in the
 * database), and every remote message relayed to a smarthost (a test sink).
 */
export async function startRelayNode(name: string, options: RelayNodeOptions): Promise<RelayNode> {
  const root = await mkdtemp(join(tmpdir(), `tessera-${name}-`));
  const cleanup = (): Promise<void> => rm(root, { recursive: true, force: true });
  try {
    const confDir = join(root, 'conf');
    await mkdir(confDir);
    for (const [file, text] of Object.entries(relayConf(name, join(root, 'var'), options))) await writeFile(join(confDir, file), text);
    const { ready, ...node } = await launchNode(name, confDir, [], cleanup);
    return { ...node, smtpPort: ready.smtpMx };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function relayConf(name: string, dataDir: string, options: RelayNodeOptions): Record<string, string> {
  return {
    'tessera.properties': [
      `data.dir=${dataDir}`,
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
}
