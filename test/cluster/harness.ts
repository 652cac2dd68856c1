// Several Tessera processes on one PostgreSQL schema, for the cluster tests and bench/cluster. Each
// node has its own conf and data directory (as separate machines would) and every listener on port
// 0; they share the database only. Logs come back as parsed JSON lines, so a test can wait for what
// a node said (its event-bus node id, a resync) under a deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, writeFile } from 'node:fs/promises';
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

export interface ClusterNode {
  readonly name: string;
  readonly endpoints: NodeEndpoints;
  /** The node's id on the event bus (its LISTEN connection is `tessera-events-listen <id>`); empty below log level info. */
  readonly busNode: string;
  /** Every JSON log line the node wrote, from start. */
  readonly log: Inbox<Record<string, unknown>>;
  /** Every log line kept for failure messages. */
  readonly logText: () => string;
  /** Clean shutdown (closes stdin), then waits for the exit. */
  stop(): Promise<void>;
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
      return startNode(String.fromCharCode(65 + i), conf, options.users, (options.logLevel ?? 'info') === 'info' || options.logLevel === 'debug');
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

async function startNode(name: string, conf: E2eConf, users: Array<[string, string]>, infoLogged: boolean): Promise<ClusterNode> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, conf.confDir], {
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
  const ready = new Promise<NodeEndpoints>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('READY ')) resolve(JSON.parse(line.slice(6)) as NodeEndpoints);
    });
    void exited.then(() => reject(new Error(`node ${name} exited before it was ready:\n${lines.join('\n')}`)));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin!.end();
      await withTimeout(exited, 15_000, `node ${name} to stop`).catch(() => {
        child.kill('SIGKILL');
        return exited;
      });
    }
  };
  try {
    const endpoints = await withTimeout(ready, START_MS, `node ${name} to start`);
    // The node id is logged at level info; below it (benchmarks) nobody needs it.
    const busLine = infoLogged ? await log.next((l) => l.msg === 'event bus: listening for the other nodes', 5000, `node ${name}'s event bus`) : undefined;
    return { name, endpoints, busNode: String(busLine?.node ?? ''), log, logText: () => lines.join('\n'), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
