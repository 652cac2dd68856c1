// The audit trail of a delegated SMTP session (issue #24): when an administrator or a delegate logged
// in as another user (SASL authorization identity), each message they submit, delivered or refused,
// and each envelope sender refused to them is logged with both names and the envelope (never the
// content), beside the login's own audit line.
import { auditDelegatedAction } from '../auth/audit.js';
import type { Mailbox } from './proto/path.js';
import type { SmtpReply } from './proto/reply.js';
import type { SmtpSession, Transaction } from './session.js';

/** Logs one delegated action; nothing for a session without a delegated login. */
function audit(s: SmtpSession, action: string, target: string[], r: SmtpReply): void {
  const principal = s.principal;
  if (principal?.actor === undefined) return;
  auditDelegatedAction(s.log, {
    protocol: 'smtp',
    user: principal.user,
    actor: principal.actor,
    peer: s.conn.remoteAddress,
    session: s.id,
    action,
    target,
    result: String(r.code),
  });
}

/** A message of the transaction was answered (`r` is its first reply): envelope sender, then recipients. */
export function auditDelegatedSubmission(s: SmtpSession, tx: Transaction, r: SmtpReply): void {
  audit(s, 'submit', [tx.from?.address ?? '', ...tx.recipients.map((x) => x.address)], r);
}

/** MAIL FROM was refused by the sender rules: the attempt to send as that address is recorded too. */
export function auditDelegatedSenderRefused(s: SmtpSession, from: Mailbox | null, r: SmtpReply): void {
  audit(s, 'MAIL', [from?.address ?? ''], r);
}
