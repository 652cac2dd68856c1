// `tessera dkim generate|list`: DKIM signing keys in <dataDir>/dkim/<domain>/<selector>.pem, and the
// DNS TXT records that publish them. The server reads the keys at start and signs mail leaving for
// other domains with every key of its From: domain (RSA and Ed25519 both: two signatures).
import { loadSettingsConfig } from '../../config/load.js';
import { parseSelector } from '../../config/mailauth.js';
import { InvalidValue } from '../../config/values.js';
import { canonicalDomain } from '../../auth/users/names.js';
import { DkimKeyError, dnsRecord, generateDkimKey, readDataDirKeys } from '../../delivery/index.js';
import { parseCommandArgs, resolveConfDir, stringOption } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';

const usage = `Usage: tessera dkim generate DOMAIN [--selector NAME] [--algorithm rsa|ed25519] [--conf DIR]
       tessera dkim list [--conf DIR]

generate  makes a signing key for DOMAIN (RSA 2048 bits, or Ed25519 — RFC 8463) in
          <dataDir>/dkim/DOMAIN/NAME.pem and prints the TXT record to publish. Restart the server
          to sign with it. For dual signing, generate one key of each algorithm (two selectors).
list      prints every key's record.
  --selector NAME   the s= selector (default: rsa-YYYYMM or ed25519-YYYYMM)
  --algorithm       rsa (default) or ed25519
  --conf DIR        configuration directory (default: $TESSERA_CONF, else ./conf)`;

function defaultSelector(kind: 'rsa' | 'ed25519', now: Date): string {
  return `${kind}-${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

export const dkimCommand: CliCommand = {
  name: 'dkim',
  summary: 'generate DKIM signing keys and print their DNS records',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(argv, { conf: { type: 'string' }, selector: { type: 'string' }, algorithm: { type: 'string' } });
    if (args.values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    const [action, domainArg, ...extra] = args.positionals;
    if (action !== 'generate' && action !== 'list') throw new UsageError(action ? `unknown dkim action "${action}"` : 'missing action (generate or list)');
    if (action === 'generate' ? domainArg === undefined || extra.length > 0 : domainArg !== undefined) {
      throw new UsageError(action === 'generate' ? 'dkim generate takes exactly one domain' : 'dkim list takes no argument');
    }
    const { config, warnings } = await loadSettingsConfig(resolveConfDir(args, io.env), { env: io.env });
    for (const w of warnings) io.stderr.write(`tessera: warning: ${w.file}: ${w.key}: ${w.message}\n`);
    const dataDir = config.settings.dataDir;
    try {
      if (action === 'list') {
        for (const key of await readDataDirKeys(dataDir)) {
          io.stdout.write(`${key.domain} ${key.selector} ${key.algorithm}\n${dnsRecord(key).zone}\n`);
        }
        return EXIT_OK;
      }
      const algorithm = stringOption(args, 'algorithm') ?? 'rsa';
      if (algorithm !== 'rsa' && algorithm !== 'ed25519') throw new UsageError(`--algorithm must be rsa or ed25519, not "${algorithm}"`);
      let selector: string;
      try {
        selector = parseSelector(stringOption(args, 'selector') ?? defaultSelector(algorithm, new Date()));
      } catch (err) {
        if (err instanceof InvalidValue) throw new UsageError(`--selector: ${err.allowed}`);
        throw err;
      }
      const domain = canonicalDomain(domainArg!);
      const { file, key } = await generateDkimKey(dataDir, domain, selector, algorithm);
      io.stderr.write(`wrote ${file}; publish this record, then restart the server:\n`);
      io.stdout.write(`${dnsRecord(key).zone}\n`);
      return EXIT_OK;
    } catch (err) {
      if (err instanceof DkimKeyError) {
        io.stderr.write(`tessera: ${err.message}\n`);
        return EXIT_FAILURE;
      }
      throw err;
    }
  },
};
