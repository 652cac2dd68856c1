// MAIL FROM (RFC 5321 §4.1.1.2) with SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), the DSN
// parameters RET and ENVID (RFC 3461 §4.3, §4.4), REQUIRETLS (RFC 8689 §4, only over TLS) and the
// AUTH= parameter (RFC 4954 §5, accepted and ignored: we never trust a client's claim of origin).
import { parseEnvid, parseRet } from '../../core/dsn-params.js';
import { parsePathArgument } from '../proto/path.js';
import { reply } from '../proto/reply.js';
import { refuseEnvelopeSender } from '../sender-rules.js';
import { auditDelegatedSenderRefused } from '../delegation-audit.js';
import type { CommandHandler } from './types.js';

export const mail: CommandHandler = async (s, args) => {
  if (!s.helo) return s.send(reply(503, '5.5.1', s.lmtp ? 'Send LHLO first' : 'Send HELO/EHLO first'));
  if (s.tx) return s.send(reply(503, '5.5.1', 'Nested MAIL command'));
  const parsed = parsePathArgument(args, 'FROM', true);
  if (!parsed.ok) return s.send(reply(parsed.code, parsed.enhanced, parsed.message));
  let smtputf8 = false;
  let requireTls = false;
  let ret: 'FULL' | 'HDRS' | undefined;
  let envid: string | undefined;
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
      case 'RET': {
        const r = parseRet(value);
        if (!r.ok) return s.send(reply(r.code, r.enhanced, r.message));
        ret = r.value;
        break;
      }
      case 'ENVID': {
        const r = parseEnvid(value);
        if (!r.ok) return s.send(reply(r.code, r.enhanced, r.message));
        envid = r.value;
        break;
      }
      case 'REQUIRETLS':
        if (value !== true) return s.send(reply(501, '5.5.4', 'REQUIRETLS takes no value'));
        // RFC 8689 §4: offered only after STARTTLS, so a cleartext client asking for it is refused.
        if (!s.secure) return s.send(reply(530, '5.7.10', 'REQUIRETLS needs a TLS session: issue STARTTLS first'));
        requireTls = true;
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
  if (refused) {
    auditDelegatedSenderRefused(s, from, refused);
    return s.send(refused);
  }
  s.tx = {
    from,
    smtputf8,
    requireTls,
    ...(ret ? { ret } : {}),
    ...(envid !== undefined ? { envid } : {}),
    recipients: [],
    recipientDsn: new Map(),
    seen: new Set(),
  };
  s.send(reply(250, '2.1.0', 'Sender OK'));
};
