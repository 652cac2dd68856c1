// James' domainlist.xml <autodetect> and <autodetectIP>, done once at start-up as James does when it
// lists its domains (AbstractDomainList.detectDomains/detectIps): the machine's host name becomes a
// local domain (never "localhost"), and with autodetectIP every address the local domains resolve to
// does too, so mail to user@[192.0.2.1] for this host is local. When autodetect is on and the default
// domain is James' default (localhost), the host name becomes the default domain, as in James.
import { hostname } from 'node:os';
import { lookup } from 'node:dns/promises';
import type { DomainListConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';

/** A name that does not resolve within this time is skipped (start-up must not hang on DNS). */
const LOOKUP_TIMEOUT_MS = 5000;

export interface DetectOptions {
  /** The machine's host name (os.hostname() unless a test gives one). */
  hostName?: string;
  resolve?: (name: string) => Promise<string[]>;
}

async function resolveAll(name: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${LOOKUP_TIMEOUT_MS} ms`)), LOOKUP_TIMEOUT_MS);
  });
  try {
    const answers = await Promise.race([lookup(name, { all: true }), timeout]);
    return answers.map((a) => a.address.toLowerCase());
  } finally {
    clearTimeout(timer);
  }
}

/** The domain list with `detected` filled in (and the default domain James would use). */
export async function detectDomains(config: DomainListConfig, logger: Logger, options: DetectOptions = {}): Promise<DomainListConfig> {
  if (!config.autodetect && !config.autodetectIP) return config;
  const detected: string[] = [];
  let defaultDomain = config.defaultDomain;
  if (config.autodetect) {
    const host = (options.hostName ?? hostname()).trim().replace(/\.$/, '').toLowerCase();
    if (host !== '' && host !== 'localhost') {
      if (!config.domainnames.includes(host)) detected.push(host);
      if (defaultDomain === 'localhost') defaultDomain = host;
      logger.info({ file: 'domainlist.xml', key: 'domainlist.autodetect', domain: host }, `autodetect: mail for ${host} (this machine's host name) is local`);
    }
  }
  if (config.autodetectIP) {
    const resolve = options.resolve ?? resolveAll;
    for (const name of [...config.domainnames, ...detected]) {
      try {
        for (const address of await resolve(name)) if (!detected.includes(address)) detected.push(address);
      } catch (err) {
        logger.warn({ file: 'domainlist.xml', key: 'domainlist.autodetectIP', domain: name }, `autodetectIP: ${name} did not resolve (${(err as Error).message}); its addresses are not local domains`);
      }
    }
    const addresses = detected.filter((d) => /^[0-9.]+$|:/.test(d));
    logger.info({ file: 'domainlist.xml', key: 'domainlist.autodetectIP' }, `autodetectIP: mail to the address literals ${addresses.map((a) => `[${a}]`).join(', ') || '(none)'} is local`);
  }
  return { ...config, defaultDomain, detected };
}
