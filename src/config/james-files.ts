// The files of a James conf/ directory that Tessera does not read. Each is named once at start-up,
// with what it configured in James and what Tessera does instead, so an administrator who copied a
// whole James conf/ sees at a glance what is left behind — and a file Tessera does not know at all
// (a custom extension's configuration) is not mistaken for one it honours.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { displayPath } from './context.js';
import type { ConfigWarning } from './load.js';

const STORE = 'Tessera keeps mail, users and state in its own store (tessera.properties storage.engine, data.dir)';

/** James configuration files Tessera knowingly does not serve, with what takes their place. */
const NOT_SERVED: ReadonlyMap<string, string> = new Map([
  ['webadmin.properties', 'the WebAdmin HTTP API is not served; administer with the `tessera` command (user, domain, sessions)'],
  ['managesieveserver.xml', 'ManageSieve is not served; JMAP VacationResponse covers vacation replies'],
  ['mailetcontainer.xml', 'mailets are not run (only <context><postmaster> is read): mail goes through Tessera\'s fixed pipeline (local delivery, vacation replies, DSNs, direct MX delivery for authenticated senders)'],
  ['recipientrewritetable.xml', 'recipient rewriting (aliases, forwards, domain mappings) is not applied'],
  ['mailrepositorystore.xml', 'James mail repositories (error, relay-denied…) are not kept; refused mail is refused in the SMTP dialogue or bounced'],
  ['dnsservice.xml', 'the system resolver is used for MX lookups'],
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

/** Server files whose blocks carry enabled="true|false": saying all are off avoids a false alarm. */
const SERVER_FILES: ReadonlyMap<string, string> = new Map([
  ['managesieveserver.xml', 'managesieveserver'],
]);

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false });

type XmlNode = Record<string, unknown>;

function asArray(v: unknown): XmlNode[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is XmlNode => typeof x === 'object' && x !== null);
}

/** True when every server block of the file is enabled="false" (a file that does not parse: false). */
function allServersDisabled(text: string, block: string): boolean {
  try {
    const doc = parser.parse(text) as XmlNode;
    const root = Object.values(doc).find((v) => typeof v === 'object' && v !== null);
    const blocks = asArray((root as XmlNode | undefined)?.[block]);
    if (blocks.length === 0) return false;
    return blocks.every((b) => String(b['enabled'] ?? 'true').trim().toLowerCase() === 'false');
  } catch {
    return false;
  }
}

/** The smart host James' RemoteDelivery sends through, when one is configured. */
function gatewayOf(text: string): string | undefined {
  return /<gateway>\s*([^<\s][^<]*?)\s*<\/gateway>/.exec(text)?.[1];
}

async function describe(dir: string, name: string): Promise<string | undefined> {
  const reason = NOT_SERVED.get(name);
  if (reason === undefined) return undefined;
  const block = SERVER_FILES.get(name);
  const needsText = block !== undefined || name === 'mailetcontainer.xml' || name === 'droplists.properties';
  const text = needsText ? await readFile(path.join(dir, name), 'utf8').catch(() => '') : '';
  let extra = '';
  if (block !== undefined && allServersDisabled(text, block)) extra = ' (every server in it is disabled anyway)';
  if (name === 'mailetcontainer.xml') {
    const gateway = gatewayOf(text);
    if (gateway) extra = `; its RemoteDelivery gateway ${gateway} is NOT used: remote mail goes directly to the recipients' MX`;
  }
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
