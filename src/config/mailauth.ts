// tessera.properties keys of mail authentication (the rest comes from dnsservice.xml and James'
// DKIMSign mailets in mailetcontainer.xml):
//   mailauth.authservId   authserv-id of our Authentication-Results (default: SMTP helloName)
//   mailauth.inbound      verify SPF/DKIM/DMARC/ARC on MX mail (default true)
//   dmarc.enforce         policy | quarantine (never reject) | none (record only); default policy
//   dkim.selectors        comma list: only these selectors of <data dir>/dkim sign (default: all)
//   dkim.headers          colon or comma list of header fields to sign (default: mailauth's list)
import type { PropertiesReader } from './properties.js';
import type { DmarcEnforcement, MailAuthConfig } from './types.js';
import { InvalidValue, parseBoolean, parseEnum, parseHost, splitList } from './values.js';

export type MailAuthSettings = Omit<MailAuthConfig, 'dkimMailetKeys' | 'dns'>;

const ENFORCEMENT: readonly DmarcEnforcement[] = ['policy', 'quarantine', 'none'];

/** A DKIM selector (RFC 6376 §3.1: dot-separated sub-domain labels). */
export function parseSelector(raw: string): string {
  const v = raw.trim().toLowerCase();
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/.test(v)) {
    throw new InvalidValue('a selector of letters, digits, "-" and ".", e.g. tessera2026');
  }
  return v;
}

/** Header field names separated by ":" (DKIM's h= form) or ",". From must be among them (RFC 6376 §5.4). */
export function parseSignedHeaders(raw: string): string[] {
  const names = splitList(raw, /[:,]/).map((n) => n.toLowerCase());
  if (names.some((n) => !/^[\x21-\x39\x3b-\x7e]+$/.test(n))) throw new InvalidValue('header field names separated by ":" or ","');
  if (!names.includes('from')) throw new InvalidValue('a list that includes From (RFC 6376 §5.4), e.g. from:to:subject:date:message-id', 'From is not signed');
  return names;
}

export function readMailAuthSettings(props: PropertiesReader): MailAuthSettings {
  const authservId = props.parse('mailauth.authservId', parseHost);
  const selectors = props.parse('dkim.selectors', (raw) => splitList(raw).map(parseSelector));
  const headers = props.parse('dkim.headers', parseSignedHeaders);
  return {
    ...(authservId !== undefined ? { authservId } : {}),
    inbound: props.parse('mailauth.inbound', parseBoolean) ?? true,
    dmarcEnforcement: props.parse('dmarc.enforce', (raw) => parseEnum(raw.trim().toLowerCase(), ENFORCEMENT)) ?? 'policy',
    ...(selectors !== undefined ? { dkimSelectors: selectors } : {}),
    ...(headers !== undefined ? { dkimHeaders: headers } : {}),
  };
}
