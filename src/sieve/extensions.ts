// The capabilities this interpreter implements: what `require` accepts and what ManageSieve's SIEVE
// capability and JMAP's sieve capability advertise.

/** Advertised extensions (RFC 5804 SIEVE capability, RFC 9661 sieveExtensions). */
export const SIEVE_EXTENSIONS: readonly string[] = Object.freeze([
  'fileinto',
  'reject',
  'ereject',
  'envelope',
  'encoded-character',
  'variables',
  'imap4flags',
  'body',
  'relational',
  'comparator-i;ascii-numeric',
  'subaddress',
  'copy',
  'vacation',
  'vacation-seconds',
  'date',
  'index',
  'include',
  'regex',
  'duplicate',
  'editheader',
  'mailbox',
]);

/** The base comparators every script has (RFC 5228 §2.7.3); `require` may still name them. */
const BUILT_IN = ['comparator-i;octet', 'comparator-i;ascii-casemap'];

const KNOWN = new Set([...SIEVE_EXTENSIONS, ...BUILT_IN]);

export function isKnownCapability(name: string): boolean {
  return KNOWN.has(name);
}
