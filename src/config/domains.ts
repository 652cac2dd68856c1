// domainlist.xml → the domains Tessera serves and the default domain (James' layout).
import type { FileContext } from './context.js';
import type { DomainListConfig } from './types.js';
import { InvalidValue, parseBoolean } from './values.js';
import { parseXmlDocument, warnUnused, XmlSection } from './xml.js';

/** James' default domain when none is configured. */
export const DEFAULT_DOMAIN = 'localhost';

const DOMAIN_RE = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function parseDomain(raw: string): string {
  const v = raw.trim().toLowerCase().replace(/\.$/, '');
  if (!DOMAIN_RE.test(v)) throw new InvalidValue('write a domain name such as example.com (letters, digits, hyphens and dots)');
  return v;
}

export function loadDomainsFile(ctx: FileContext, text: string | undefined): DomainListConfig {
  if (text === undefined) return { domainnames: [], defaultDomain: DEFAULT_DOMAIN, autodetect: false, autodetectIP: false };
  const root = parseXmlDocument(ctx, text);
  if (root.name !== 'domainlist') ctx.fail('(root)', `<${root.name}>`, 'the root element must be <domainlist>', 'unexpected root element');
  const sec = new XmlSection(ctx, root, 'domainlist');
  // The James implementation class does not matter: Tessera keeps domains in its own store.
  sec.attr('class');
  const domainnames: string[] = [];
  const list = sec.child('domainnames');
  for (const item of list?.children('domainname') ?? []) {
    const name = ctx.parse(item.key, item.el.text, parseDomain);
    item.consumeAll();
    if (domainnames.includes(name)) ctx.warn(item.key, `domain ${name} is listed twice`);
    else domainnames.push(name);
  }
  // Honoured at start-up (src/server/detect-domains.ts), with James' default of false when absent.
  const flag = (name: 'autodetect' | 'autodetectIP'): boolean => {
    const v = sec.text(name);
    return v ? ctx.parse(v.key, v.raw, parseBoolean) : false;
  };
  const autodetect = flag('autodetect');
  const autodetectIP = flag('autodetectIP');
  const def = sec.text('defaultDomain');
  const defaultDomain = def ? ctx.parse(def.key, def.raw, parseDomain) : DEFAULT_DOMAIN;
  // James adds a configured default domain to the domain list at start-up; so does Tessera.
  if (def && !domainnames.includes(defaultDomain)) domainnames.push(defaultDomain);
  warnUnused(ctx, root, 'domainlist', new Map());
  return { domainnames, defaultDomain, autodetect, autodetectIP };
}
