// End of DATA/BDAT: hands the message to the delivery core and turns its per-recipient outcomes into
// replies: the one reply SMTP allows, or LMTP's one per accepted recipient, in RCPT order (RFC 2033
// §4.2), each saying what became of that recipient's copy. Replies are sent only after the core
// returns, i.e. after local copies are fsynced and remote ones durably queued.
import type { DeliveryResult, RecipientOutcome } from '../core/delivery.js';
import type { InboundVerdict } from '../core/mail-auth.js';
import type { SpooledMessage } from '../store/types.js';
import { reply, type SmtpReply } from './proto/reply.js';
import type { SmtpSession, Transaction } from './session.js';

/** RFC 3848 / RFC 6531 §3.7.5 "with" keyword for the Received: header. */
export function protocolKeyword(s: SmtpSession, tx: Transaction): string {
  // RFC 3848 LMTP/LMTPA/LMTPS/LMTPSA and RFC 6531's UTF8LMTP…: LMTP is always the extended dialect.
  if (s.lmtp) return `${tx.smtputf8 ? 'UTF8LMTP' : 'LMTP'}${s.secure ? 'S' : ''}${s.principal ? 'A' : ''}`;
  const base = s.esmtp ? (tx.smtputf8 ? 'UTF8SMTP' : 'ESMTP') : 'SMTP';
  if (!s.esmtp) return base;
  return `${base}${s.secure ? 'S' : ''}${s.principal ? 'A' : ''}`;
}

/** What one recipient's failed copy is answered with (SMTP when all failed alike, LMTP always). */
function failureReply(reason: 'overQuota' | 'temporary' | 'permanent' | 'rejected', message: string): SmtpReply {
  if (reason === 'temporary') return reply(451, '4.3.0', 'Temporary failure storing the message, try again later');
  if (reason === 'overQuota') return reply(552, '5.2.2', 'Mailbox full');
  // RFC 5429 §2.1/§2.2: the recipient's own words, refused at the protocol level while the client
  // still holds the message. One line, printable, bounded: the text comes from a user's script.
  if (reason === 'rejected') return reply(550, '5.7.1', rejectionText(message));
  return reply(550, message === 'User unknown' ? '5.1.1' : '5.0.0', message === 'User unknown' ? 'User unknown' : 'Delivery failed');
}

function rejectionText(message: string): string {
  // eslint-disable-next-line no-control-regex
  const line = message.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 400);
  return line === '' ? 'Message rejected by recipient' : line;
}

/** LMTP: one reply per accepted recipient, in the order they were accepted. */
function perRecipient(tx: Transaction, result: DeliveryResult): SmtpReply[] {
  const byAddress = new Map<string, RecipientOutcome>(result.outcomes.map((o) => [o.address.toLowerCase(), o]));
  return tx.recipients.map((r) => {
    const o = byAddress.get(r.address.toLowerCase());
    if (!o) return reply(451, '4.3.0', 'Local error in processing, try again later');
    if (o.status === 'failed') return failureReply(o.reason, o.message);
    return reply(250, '2.0.0', `<${r.address}> Ok: delivered as ${result.id}`);
  });
}

/** The replies to the end of the message: one (SMTP) or one per recipient (LMTP). */
export async function deliverTransaction(s: SmtpSession, tx: Transaction, bytes: SpooledMessage, verdict?: InboundVerdict): Promise<SmtpReply[]> {
  const answer = (r: SmtpReply): SmtpReply[] => (s.lmtp ? tx.recipients.map(() => r) : [r]);
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
      ...(tx.ret || tx.envid !== undefined || tx.recipientDsn.size > 0
        ? { dsn: { ...(tx.ret ? { ret: tx.ret } : {}), ...(tx.envid !== undefined ? { envid: tx.envid } : {}), recipients: tx.recipientDsn } }
        : {}),
      ...(tx.requireTls ? { requireTls: true } : {}),
      // SMTP answers once for all and reports partial failures by DSN; LMTP tells the client (the
      // MTA, which then bounces or retries) about each recipient itself.
      bounceFailures: !s.lmtp,
      principal: s.principal,
      ...(verdict ? { edit: verdict.edit, quarantine: verdict.action === 'quarantine' } : {}),
    });
  } catch (err) {
    s.log.error({ err }, 'delivery failed');
    return answer(reply(451, '4.3.0', 'Local error in processing, try again later'));
  }
  const failed = result.outcomes.filter((o) => o.status === 'failed');
  s.log.info(
    { id: result.id, size: bytes.size, recipients: result.outcomes.length, failed: failed.length },
    'message accepted',
  );
  if (s.lmtp) return perRecipient(tx, result);
  if (failed.length < result.outcomes.length) return [reply(250, '2.0.0', `Ok: queued as ${result.id}`)];
  // Every recipient failed: one reply must speak for all; a temporary cause wins so the client retries.
  if (failed.some((o) => o.status === 'failed' && o.reason === 'temporary')) return [failureReply('temporary', '')];
  if (failed.every((o) => o.status === 'failed' && o.reason === 'overQuota')) return [failureReply('overQuota', '')];
  // One recipient (or all) rejecting with the same words: those words are the answer.
  const texts = new Set(failed.map((o) => (o.status === 'failed' && o.reason === 'rejected' ? o.message : null)));
  if (texts.size === 1 && !texts.has(null)) return [failureReply('rejected', [...texts][0]!)];
  return [reply(554, '5.0.0', 'Delivery failed')];
}
