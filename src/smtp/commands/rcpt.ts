// RCPT TO (RFC 5321 §4.1.1.3) with the DSN parameters NOTIFY and ORCPT (RFC 3461 §4.1, §4.2), and the
// relay rules: local users are accepted from anyone (MX role), unknown local users are refused, other
// domains only for authenticated sessions or authorized peers; a local mailbox already full is
// refused with 552 5.2.2.
import { parseNotify, parseOrcpt } from '../../core/dsn-params.js';
import { parsePathArgument } from '../proto/path.js';
import { reply } from '../proto/reply.js';
import { RecipientLookupUnavailableError, type RecipientDsn, type RecipientRoute } from '../../core/delivery.js';
import type { CommandHandler } from './types.js';

export const rcpt: CommandHandler = async (s, args) => {
  const tx = s.tx;
  if (!tx) return s.send(reply(503, '5.5.1', 'Need MAIL before RCPT'));
  if (tx.chunked) return s.send(reply(503, '5.5.1', 'RCPT not allowed during BDAT'));
  const parsed = parsePathArgument(args, 'TO', false);
  if (!parsed.ok) return s.send(reply(parsed.code, parsed.enhanced, parsed.message));
  const dsn: RecipientDsn = {};
  for (const [key, value] of parsed.params) {
    if (!s.esmtp) return s.send(reply(555, '5.5.4', 'ESMTP parameters need EHLO'));
    if (key === 'NOTIFY') {
      const r = parseNotify(value);
      if (!r.ok) return s.send(reply(r.code, r.enhanced, r.message));
      dsn.notify = r.value;
    } else if (key === 'ORCPT') {
      const r = parseOrcpt(value);
      if (!r.ok) return s.send(reply(r.code, r.enhanced, r.message));
      // RFC 6533 §3: raw UTF-8 (utf-8-addr-unitext) only in an SMTPUTF8 transaction.
      // eslint-disable-next-line no-control-regex
      if (typeof value === 'string' && /[^\x00-\x7f]/.test(value) && !tx.smtputf8) return s.send(reply(501, '5.5.4', 'Non-ASCII ORCPT requires SMTPUTF8'));
      dsn.orcpt = r.value;
    } else {
      return s.send(reply(555, '5.5.4', `Unsupported parameter ${key.slice(0, 32)}`));
    }
  }
  const mailbox = parsed.mailbox!;
  if (mailbox.utf8 && !tx.smtputf8) return s.send(reply(553, '5.6.7', 'Non-ASCII address requires SMTPUTF8'));
  if (tx.recipients.length >= s.config.maxRecipients && s.config.maxRecipients > 0) {
    return s.send(reply(452, '4.5.3', 'Too many recipients'));
  }
  let route: RecipientRoute;
  try {
    route = await s.deps.delivery.route(mailbox.address);
  } catch (err) {
    if (!(err instanceof RecipientLookupUnavailableError)) throw err;
    s.log.warn({ err: err.message }, 'recipient lookup unavailable');
    return s.send(reply(451, '4.3.0', 'Temporary failure looking up recipient, try again later'));
  }
  if (route.kind === 'unknown') return s.send(reply(550, '5.1.1', 'User unknown'));
  if (route.kind === 'remote' && !s.principal && !s.peerAuthorized) {
    // 530 only where authenticating is the way forward: a listener that never announces AUTH, or
    // does not serve it at all (an MX), refuses relaying outright.
    if (s.config.requireAuthForRelay && s.config.announce !== 'never' && s.offers('AUTH')) {
      return s.send(reply(530, '5.7.0', 'Authentication required'));
    }
    return s.send(reply(550, '5.7.1', 'Relaying denied'));
  }
  // A mailbox already full refuses here (as Dovecot's quota-status does), not after the data.
  if (route.kind === 'local' && (await s.deps.delivery.mailboxFull(route))) return s.send(reply(552, '5.2.2', 'Mailbox full'));
  const key = route.address.toLowerCase();
  if (!tx.seen.has(key)) {
    tx.seen.add(key);
    tx.recipients.push(route);
    if (dsn.notify || dsn.orcpt) tx.recipientDsn.set(route.address, dsn);
  }
  s.send(reply(250, '2.1.5', 'Recipient OK'));
};
