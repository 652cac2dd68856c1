// The files of a James conf/ directory that Tessera does not read. Each is named once at start-up,
// with what it configured in James and what Tessera does instead, so an administrator who copied a
// whole James conf/ sees at a glance what is left behind — and a file Tessera does not know at all
// (a custom extension's configuration) is not mistaken for one it honours.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { displayPath } from './context.js';
import type { ConfigWarning } from './load.js';

const STORE = 'Tessera keeps mail, users and state in its own store (tessera.properties storage.engine, data.dir)';

/** James configuration files Tessera knowingly does not serve, with what takes their place. */
const NOT_SERVED: ReadonlyMap<string, string> = new Map([
  ['mailetcontainer.xml', 'mailets are not run (only <context><postmaster>, RemoteDelivery\'s gateway settings and DKIMSign mailets are read): mail goes through Tessera\'s fixed pipeline (local delivery, Sieve, vacation replies, DSNs, MX or gateway delivery for authenticated senders)'],
  ['recipientrewritetable.xml', 'the recipient rewrite table (address aliases, forwards, domain aliases) is kept in users.sqlite and managed through WebAdmin (/address/aliases, /address/forwards, /domains/{domain}/aliases)'],
  ['mailrepositorystore.xml', 'James mail repositories (error, relay-denied…) are not kept; refused mail is refused in the SMTP dialogue or bounced'],
  ['listeners.xml', 'James mailbox listeners (extensions) are not run'],
  ['extensions.properties', 'James extensions (Guice modules) are not loaded'],
  ['healthcheck.properties', 'James health checks are not run'],
  ['droplists.properties', 'James drop lists are not applied'],
  ['jmx.properties', 'JMX is a Java facility; Tessera has none'],
  ['jvm.properties', 'JVM system properties do not apply'],
  ['logback.xml', 'logging is set by tessera.properties log.level (JSON lines on standard error)'],
  ['deletedMessageVault.properties', 'there is no deleted-messages vault'],
  ['batchsizes.properties', 'James fetch batch sizes do not apply'],
  ['tika.properties', 'attachment text extraction (Tika) is not used'],
  ['blob.properties', `not used: ${STORE}`],
  ['cassandra.properties', `not used: ${STORE}`],
  ['cassandra-driver.conf', `not used: ${STORE}`],
  ['opensearch.properties', `not used: ${STORE}; search is built in`],
  ['elasticsearch.properties', `not used: ${STORE}; search is built in`],
  ['rabbitmq.properties', `not used: ${STORE}; the mail queue is built in`],
  ['pulsar.properties', `not used: ${STORE}; the mail queue is built in`],
  ['queue.properties', 'not used: the mail queue is built in'],
  ['queue-pulsar.properties', 'not used: the mail queue is built in'],
  ['james-database.properties', `not used: ${STORE}`],
  ['james-database-mariadb.properties', `not used: ${STORE}`],
  // Read (as the PostgreSQL store's settings) only with storage.engine=postgres: see postgres.ts.
  ['postgres.properties', `not used while tessera.properties storage.engine is sqlite (with storage.engine=postgres it configures the PostgreSQL store); James' PostgreSQL data is not read, and no mail is imported from it`],
]);

/** The smart host James' RemoteDelivery sends through, when one is configured. */
async function describe(dir: string, name: string): Promise<string | undefined> {
  const reason = NOT_SERVED.get(name);
  if (reason === undefined) return undefined;
  const needsText = name === 'droplists.properties';
  const text = needsText ? await readFile(path.join(dir, name), 'utf8').catch(() => '') : '';
  let extra = '';
  if (name === 'droplists.properties' && /^\s*enabled\s*[=:]\s*true\s*$/im.test(text)) extra = ': mail from senders on James\' drop lists is accepted';
  return `James file not served by Tessera, ignored: ${reason}${extra}`;
}

/** One warning per James file in `dir` that Tessera does not serve (`served`: the files it reads), in name order. */
export async function notServedWarnings(dir: string, served: readonly string[]): Promise<ConfigWarning[]> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  const out: ConfigWarning[] = [];
  for (const name of names) {
    if (served.includes(name)) continue;
    const message = await describe(dir, name);
    if (message !== undefined) out.push({ file: displayPath(path.join(dir, name)), key: '(file)', message });
  }
  return out;
}
