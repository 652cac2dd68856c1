// Inbound mail authentication at the end of a message: only mail from a client that neither
// authenticated nor connects from <authorizedAddresses> — mail arriving on an MX — is verified;
// submission and trusted relays are not (their mail is ours to sign, not to judge), but header
// fields forging our Authentication-Results are cut from theirs too. LMTP is the last hop from a
// host that already judged it.
import type { InboundVerdict } from '../core/mail-auth.js';
import type { SpooledMessage } from '../store/index.js';
import { reply, type SmtpReply } from './proto/reply.js';
import type { SmtpSession, Transaction } from './session.js';

export type MailAuthOutcome = { refused: SmtpReply } | { verdict: InboundVerdict | undefined };

export async function authenticateInbound(s: SmtpSession, tx: Transaction, spooled: SpooledMessage): Promise<MailAuthOutcome> {
  const authenticator = s.deps.mailAuth;
  if (!authenticator || s.lmtp) return { verdict: undefined };
  let verdict: InboundVerdict;
  try {
    if (s.principal || s.peerAuthorized) return { verdict: { action: 'deliver', edit: await authenticator.stripForged(spooled) } };
    verdict = await authenticator.check({ mailFrom: tx.from?.address ?? '', helo: s.helo ?? '', ip: s.conn.remoteAddress, bytes: spooled });
  } catch (err) {
    s.log.error({ err }, 'mail authentication failed');
    return { refused: reply(451, '4.7.0', 'Temporary failure authenticating the message, try again later') };
  }
  if (verdict.action === 'reject') {
    s.log.info({ sender: tx.from?.address ?? '', reason: verdict.text }, 'message refused by mail authentication');
    return { refused: reply(verdict.code, verdict.status, verdict.text) };
  }
  return { verdict };
}
