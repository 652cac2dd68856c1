// End of DATA/BDAT: hands the message to the delivery core and turns its per-recipient outcomes into
// the one reply SMTP allows. The reply is sent only after the core returns, i.e. after local copies
// are fsynced and remote ones durably queued.
import type { DeliveryResult } from '../core/delivery.js';
import type { SpooledMessage } from '../store/types.js';
import { reply, type SmtpReply } from './proto/reply.js';
import type { SmtpSession, Transaction } from './session.js';

/** RFC 3848 / RFC 6531 §3.7.5 "with" keyword for the Received: header. */
export function protocolKeyword(s: SmtpSession, tx: Transaction): string {
  const base = s.esmtp ? (tx.smtputf8 ? 'UTF8SMTP' : 'ESMTP') : 'SMTP';
  if (!s.esmtp) return base;
  return `${base}${s.secure ? 'S' : ''}${s.principal ? 'A' : ''}`;
}

export async function deliverTransaction(s: SmtpSession, tx: Transaction, bytes: SpooledMessage): Promise<SmtpReply> {
  let result: DeliveryResult;
  try {
    result = await s.deps.delivery.deliver({
      from: tx.from?.address ?? '',
      recipients: tx.recipients,
      bytes,
      trace: {
        helo: s.helo ?? 'unknown',
        peerAddress: s.conn.remoteAddress,
        protocol: protocolKeyword(s, tx),
        by: s.config.helloName,
      },
      smtputf8: tx.smtputf8,
      bounceFailures: true,
      principal: s.principal,
    });
  } catch (err) {
    s.log.error({ err }, 'delivery failed');
    return reply(451, '4.3.0', 'Local error in processing, try again later');
  }
  const failed = result.outcomes.filter((o) => o.status === 'failed');
  s.log.info(
    { id: result.id, size: bytes.size, recipients: result.outcomes.length, failed: failed.length },
    'message accepted',
  );
  if (failed.length < result.outcomes.length) return reply(250, '2.0.0', `Ok: queued as ${result.id}`);
  // Every recipient failed: one reply must speak for all; a temporary cause wins so the client retries.
  if (failed.some((o) => o.status === 'failed' && o.reason === 'temporary')) {
    return reply(451, '4.3.0', 'Temporary failure storing the message, try again later');
  }
  if (failed.every((o) => o.status === 'failed' && o.reason === 'overQuota')) {
    return reply(552, '5.2.2', 'Mailbox full');
  }
  return reply(554, '5.0.0', 'Delivery failed');
}
