// Who may send as whom: James' `<auth><required>` (AuthRequiredHook) and `verifyIdentity`
// (SenderAuthIdentifyVerificationHook), applied to MAIL FROM and, at the end of the message, to the
// From: header.
//
//  - required: a client that neither authenticated nor connects from <authorizedAddresses> gets
//    530 5.7.0 at MAIL FROM. That is what makes a listener a submission listener.
//  - strict (James' default; `true`): an authenticated user may use only their own addresses, in
//    MAIL FROM and in every From: address; an unauthenticated client outside <authorizedAddresses>
//    may not use a local address in MAIL FROM (530: it must authenticate to do that).
//  - relaxed: the same, except that an unauthenticated client claiming a local sender is let through
//    when its EHLO name looks like a mail server's (a valid host name with a dot: James' "MX
//    heuristic", for forwarders and mailing lists), and the From: header is checked only for
//    authenticated sessions.
//  - disabled (`false`): no sender check at all.
//
// The null reverse-path `<>`: James lets an authenticated user give MAIL FROM:<> (MDNs, RFC 8098
// §2, and DSNs must use it), so it is accepted at MAIL FROM — but that is no way around the check,
// because the From: header of such a message is then checked like any other, and such a message
// without From: is refused. Under `disabled` nothing is checked, null sender or not.
import type { SenderVerificationMode } from '../config/types.js';
import { parseHeaderBlock, headerValues } from '../mime/headers.js';
import { parseAddresses } from '../mime/addresses.js';
import { ownsAddress, type SenderAddress } from './identity.js';
import { unquoteLocalPart, type Mailbox } from './proto/path.js';
import { reply, type SmtpReply } from './proto/reply.js';
import type { SmtpSession } from './session.js';

const AUTH_REQUIRED = reply(530, '5.7.0', 'Authentication required');
const LOCAL_SENDER_NEEDS_AUTH = reply(530, '5.7.1', 'Authentication required to send as a local user');
const NOT_OWNED = reply(553, '5.7.1', 'Sender address not owned by the authenticated user');
const FROM_NOT_OWNED = reply(550, '5.7.1', 'From: header address not owned by the authenticated user');
const FROM_MISSING = reply(550, '5.6.0', 'Message has no From: header');
const LOOKUP_FAILED = reply(451, '4.3.0', 'Temporary failure checking sender, try again later');

/** How much of a message is searched for its header block (headers beyond it are not looked at). */
export const HEADER_SCAN_LIMIT = 256 * 1024;

function mode(s: SmtpSession): SenderVerificationMode {
  return s.config.verifyIdentity;
}

/** James' MX heuristic: the EHLO name is a syntactically valid host name containing a dot. */
export function looksLikeMx(helo: string | undefined): boolean {
  if (helo === undefined || !helo.includes('.')) return false;
  return /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/.test(helo);
}

/** The reply refusing this MAIL FROM, or undefined when it may proceed. */
export async function refuseEnvelopeSender(s: SmtpSession, from: Mailbox | null): Promise<SmtpReply | undefined> {
  if (!s.principal && !s.peerAuthorized && s.config.authRequired) return AUTH_REQUIRED;
  const m = mode(s);
  if (m === 'disabled' || from === null) return undefined;
  const address: SenderAddress = { local: unquoteLocalPart(from.localPart), domain: from.domain };
  try {
    if (s.principal) {
      return (await ownsAddress(s.principal, address, s.deps.users, s.deps.domains)) ? undefined : NOT_OWNED;
    }
    if (s.peerAuthorized || !(await s.deps.domains.contains(address.domain.toLowerCase()))) return undefined;
  } catch (err) {
    s.log.warn({ err }, 'sender check failed');
    return LOOKUP_FAILED;
  }
  if (m === 'relaxed' && looksLikeMx(s.helo)) return undefined;
  s.log.info({ sender: from.address, mode: m }, 'unauthenticated client used a local sender address');
  return LOCAL_SENDER_NEEDS_AUTH;
}

/**
 * The reply refusing the finished message for its From: header, or undefined when it may be
 * delivered. `readHead` gives at least the message's first HEADER_SCAN_LIMIT bytes (or all of a
 * shorter one); it is called only when there is an identity to check.
 */
export async function refuseFromHeader(s: SmtpSession, envelopeFrom: Mailbox | null, readHead: () => Promise<Buffer>): Promise<SmtpReply | undefined> {
  // Only an authenticated sender has an identity to check. (James 3.9's strict mode also refuses
  // any message without From:; Tessera leaves that judgement to filtering unless the From: header is
  // the only identity the message carries.)
  const principal = s.principal;
  if (mode(s) === 'disabled' || !principal) return undefined;
  const head = (await readHead()).subarray(0, HEADER_SCAN_LIMIT).toString('latin1');
  const values = headerValues(parseHeaderBlock(head, 0, head.length).headers, 'from');
  // With MAIL FROM:<> the From: header is the only identity left to check, so it must be there;
  // with an owned envelope sender a message without From: claims nobody else.
  if (values.length === 0) return envelopeFrom === null ? FROM_MISSING : undefined;
  const addresses: SenderAddress[] = [];
  for (const value of values) {
    for (const item of parseAddresses(value)) {
      // An empty group (`From: undisclosed:;`) names nobody the user owns.
      if (item.kind === 'group' && item.members.length === 0) return FROM_NOT_OWNED;
      for (const mb of item.kind === 'group' ? item.members : [item.mailbox]) {
        if (mb.domain === null) return FROM_NOT_OWNED;
        addresses.push({ local: mb.local, domain: mb.domain });
      }
    }
  }
  if (addresses.length === 0) return FROM_NOT_OWNED;
  // The envelope sender passed ownsAddress for this very principal at MAIL FROM (AUTH cannot
  // happen inside a transaction), and ownership depends only on the lower-cased address: a From:
  // naming it again (nearly every message) needs no second domain lookup in the users database.
  const owned = envelopeFrom === null ? undefined : ownershipKey({ local: unquoteLocalPart(envelopeFrom.localPart), domain: envelopeFrom.domain });
  try {
    for (const address of addresses) {
      if (ownershipKey(address) === owned) continue;
      if (!(await ownsAddress(principal, address, s.deps.users, s.deps.domains))) {
        s.log.warn({ user: principal.user, from: `${address.local}@${address.domain}` }, 'From: header not owned by the sender');
        return FROM_NOT_OWNED;
      }
    }
  } catch (err) {
    s.log.warn({ err }, 'sender check failed');
    return LOOKUP_FAILED;
  }
  return undefined;
}

/** What ownsAddress's answer depends on, besides the principal: the address, case folded. */
function ownershipKey(address: SenderAddress): string {
  return `${address.local.toLowerCase()}@${address.domain.toLowerCase()}`;
}
