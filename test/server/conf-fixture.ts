// A throw-away conf directory in James layout, with its data directory beside it, for lifecycle
// and CLI tests. Only what a test asks for is written; every other file takes its default.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestConfOptions {
  seedDemoUser?: boolean;
  logLevel?: string;
  shutdownTimeout?: number;
  virtualHosting?: boolean;
  domains?: string[];
  defaultDomain?: string;
  /** imapserver.xml contents (blocks only, without the <imapservers> wrapper). */
  imapBlocks?: string;
}

export interface TestConf {
  root: string;
  confDir: string;
  dataDir: string;
  dispose(): Promise<void>;
}

export async function makeTestConf(options: TestConfOptions = {}): Promise<TestConf> {
  const root = await mkdtemp(join(tmpdir(), 'tessera-conf-'));
  const confDir = join(root, 'conf');
  const dataDir = join(root, 'var');
  await mkdir(confDir);
  await writeFile(
    join(confDir, 'tessera.properties'),
    [
      `data.dir=${dataDir}`,
      `log.level=${options.logLevel ?? 'info'}`,
      `shutdown.timeout=${options.shutdownTimeout ?? 2}`,
      `demo.seed=${options.seedDemoUser ?? false}`,
      '',
    ].join('\n'),
  );
  const domains = options.domains ?? ['example.test'];
  await writeFile(
    join(confDir, 'domainlist.xml'),
    `<domainlist>
  <domainnames>${domains.map((d) => `<domainname>${d}</domainname>`).join('')}</domainnames>
  <defaultDomain>${options.defaultDomain ?? domains[0] ?? 'localhost'}</defaultDomain>
</domainlist>\n`,
  );
  await writeFile(
    join(confDir, 'usersrepository.xml'),
    `<usersrepository name="LocalUsers" class="embedded">
  <enableVirtualHosting>${options.virtualHosting ?? true}</enableVirtualHosting>
</usersrepository>\n`,
  );
  if (options.imapBlocks !== undefined) {
    await writeFile(join(confDir, 'imapserver.xml'), `<imapservers>${options.imapBlocks}</imapservers>\n`);
  }
  return { root, confDir, dataDir, dispose: () => rm(root, { recursive: true, force: true }) };
}
