// Subaddresses (RFC 5233, "user+detail@domain"): the mailbox is the user's, the detail is the
// owner's label (for filing, Sieve `:detail`, spotting who leaked an address). Apache James strips
// the detail after "+" to find the user for recipient checks, delivery and sender identity; so do
// the delivery router, the SMTP sender checks and JMAP identities, through these two functions.

/** James' UsersRepository.LOCALPART_DETAIL_DELIMITER, Postfix's recipient_delimiter default. */
export const SUBADDRESS_DELIMITER = '+';

/**
 * Splits an (unquoted) local part at the first delimiter: `alice+lists+x` → user `alice`, detail
 * `lists+x`. No delimiter, or nothing before it (`+tag`), means no subaddress: detail is undefined.
 */
export function splitSubaddress(local: string): { user: string; detail?: string } {
  const at = local.indexOf(SUBADDRESS_DELIMITER);
  if (at <= 0) return { user: local };
  return { user: local.slice(0, at), detail: local.slice(at + SUBADDRESS_DELIMITER.length) };
}

/** `alice+tag@example.org` → `alice@example.org`; an address without a subaddress unchanged. */
export function withoutSubaddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return splitSubaddress(address).user;
  return `${splitSubaddress(address.slice(0, at)).user}${address.slice(at)}`;
}

/** The same mailbox, whatever the case and the subaddress: `Alice+news@Example.org` ~ `alice@example.org`. */
export function sameMailbox(a: string, b: string): boolean {
  return withoutSubaddress(a).toLowerCase() === withoutSubaddress(b).toLowerCase();
}
