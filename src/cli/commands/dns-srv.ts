// `tessera dns-srv DOMAIN`: the DNS SRV records (RFC 6186, RFC 8314 §5.1, RFC 8620 §2.2) with which mail
// clients find this server's IMAP, POP3, submission and JMAP endpoints, as zone-file lines to paste
// into the domain's zone. Read from the listener configuration, as `tessera serve` would bind it.
import { isIP } from 'node:net';
import { loadConfig } from '../../config/load.js';
import { formatSrvZone, jmapBaseUrl, mailEndpoints, srvRecords } from '../../discovery/index.js';
import { parseCommandArgs, resolveConfDir, stringOption } from '../args.js';
import { EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';

const usage = `Usage: tessera dns-srv DOMAIN [--ttl SECONDS] [--conf DIR]

Prints the DNS SRV records mail clients use to find this server for addresses @DOMAIN
(_imaps, _imap, _submissions, _submission, _pop3s, _pop3 and _jmap over _tcp), in zone-file syntax.
Implicit TLS gets priority 0 and STARTTLS 10 (RFC 8314: clients prefer implicit TLS); a service this
server does not offer over TLS is published as not available (target ".", RFC 6186).
Host names are tessera.properties discovery.hostname, else each listener's helloName; ports are the
configured ones; JMAP's is jmap.properties url.prefix.
  --ttl SECONDS   record TTL (default 3600)
  --conf DIR      configuration directory (default: $TESSERA_CONF, else ./conf)`;

const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\.?$/;

export const dnsSrvCommand: CliCommand = {
  name: 'dns-srv',
  summary: 'print the DNS SRV records with which mail clients find this server',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(argv, { conf: { type: 'string' }, ttl: { type: 'string' } });
    if (args.values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    const [domain, ...extra] = args.positionals;
    if (domain === undefined || extra.length > 0) throw new UsageError('dns-srv takes exactly one domain');
    if (!DOMAIN.test(domain)) throw new UsageError(`"${domain}" is not a domain name`);
    const ttlText = stringOption(args, 'ttl') ?? '3600';
    if (!/^\d{1,7}$/.test(ttlText)) throw new UsageError('--ttl takes a number of seconds');
    const { config, warnings } = await loadConfig(resolveConfDir(args, io.env), { env: io.env });
    for (const w of warnings) io.stderr.write(`tessera: warning: ${w.file}: ${w.key}: ${w.message}\n`);
    const base = jmapBaseUrl(config, () => undefined, 'jmap');
    // RFC 8620 §2.2: the SRV target serves the session resource over HTTPS.
    const jmapUrl = base !== undefined ? new URL(base) : undefined;
    // An SRV target is a host name, never an address (RFC 2782).
    const published = jmapUrl?.protocol === 'https:' && isIP(jmapUrl.hostname.replace(/^\[|\]$/g, '')) === 0;
    const jmap = published ? { host: jmapUrl.hostname, port: Number(jmapUrl.port || 443) } : undefined;
    if (config.jmap.enabled && !jmap) {
      io.stderr.write('tessera: note: JMAP has no public https:// host name (jmap.properties url.prefix or tessera.properties discovery.hostname), so _jmap._tcp says "not available"\n');
    }
    const records = srvRecords(domain, mailEndpoints(config), jmap);
    io.stdout.write(formatSrvZone(records, Number(ttlText)));
    return EXIT_OK;
  },
};
