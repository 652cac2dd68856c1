// MAIL FROM (RFC 5321 §4.1.1.2) with SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531) and the
// AUTH= parameter (RFC 4954 §5, accepted and ignored: we never trust a client's claim of origin).
import { parsePathArgument } from '../proto/path.js';
import { reply } from '../proto/reply.js';
import { refuseEnvelopeSender } from '../sender-rules.js';
import type { CommandHandler } from './types.js';

export const mail: CommandHandler = async (s, args) => {
  if (!s.helo) return s.send(reply(503, '5.5.1', s.lmtp ? 'Send LHLO first' : 'Send HELO/EHLO first'));
  if (s.tx) return s.send(reply(503, '5.5.1', 'Nested MAIL command'));
  const parsed = parsePathArgument(args, 'FROM', true);
  if (!parsed.ok) return s.send(reply(parsed.code, parsed.enhanced, parsed.message));
  let smtputf8 = false;
  for (const [key, value] of parsed.params) {
    if (!s.esmtp) return s.send(reply(555, '5.5.4', 'ESMTP parameters need EHLO'));
    switch (key) {
      case 'SIZE': {
        if (value === true || !/^\d{1,15}$/.test(value)) return s.send(reply(501, '5.5.4', 'Bad SIZE value'));
        const max = s.config.maxMessageSize;
        if (max > 0 && Number(value) > max) {
          return s.send(reply(552, '5.3.4', 'Message size exceeds fixed maximum message size'));
        }
        break;
      }
      case 'BODY':
        if (value !== true && /^(7BIT|8BITMIME)$/i.test(value)) break;
        return s.send(reply(555, '5.5.4', 'Unsupported BODY type'));
      case 'SMTPUTF8':
        if (value !== true) return s.send(reply(501, '5.5.4', 'SMTPUTF8 takes no value'));
        smtputf8 = true;
        break;
      case 'AUTH':
        break;
      default:
        return s.send(reply(555, '5.5.4', `Unsupported parameter ${key.slice(0, 32)}`));
    }
  }
  const from = parsed.mailbox;
  if (from?.utf8 && !smtputf8) {
    return s.send(reply(553, '5.6.7', 'Non-ASCII address requires SMTPUTF8'));
  }
  const refused = await refuseEnvelopeSender(s, from);
  if (refused) return s.send(refused);
  s.tx = { from, smtputf8, recipients: [], seen: new Set() };
  s.send(reply(250, '2.1.0', 'Sender OK'));
};
