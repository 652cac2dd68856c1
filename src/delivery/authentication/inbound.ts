// Inbound mail authentication on the MX: SPF (RFC 7208) on MAIL FROM/HELO and the client's address,
// DKIM (RFC 6376, RFC 8463), DMARC (RFC 7489) and ARC (RFC 8617) verification, all by mailauth over
// the spool file as a stream. The result becomes one Authentication-Results field (RFC 8601) with our
// authserv-id, put in front of the delivered copy; fields already carrying our authserv-id are cut
// out (RFC 8601 §5: they can only be forgeries). A failing DMARC check is acted on as the sender's
// policy asks — reject, quarantine (Junk), none — sampled by its pct= (RFC 7489 §6.6.4: a message
// outside the sample gets the next weaker policy), and capped by the operator's `dmarc.enforce`.
import { randomInt } from 'node:crypto';
import { authenticate, type AuthenticateResult, type DNSResolver } from 'mailauth';
import type { DmarcEnforcement } from '../../config/types.js';
import type { InboundAuthenticator, InboundMessage, InboundVerdict, MessageEdit } from '../../core/mail-auth.js';
import type { Logger } from '../../log/logger.js';
import type { SpooledMessage } from '../../store/types.js';
import { HEAD_LIMIT, messageInput, readHead, type MessageHead } from './message-head.js';

export interface InboundVerifierOptions {
  resolver: DNSResolver;
  /** Our authserv-id (RFC 8601 §2.5): the host name, by default. */
  authservId: string;
  enforcement: DmarcEnforcement;
  logger: Logger;
  /** 0..99, for pct= sampling; tests make it deterministic. */
  sample?: () => number;
}

type Policy = 'reject' | 'quarantine' | 'none';

/** RFC 7489 §6.6.4: outside the pct= sample, reject becomes quarantine and quarantine becomes none. */
const WEAKER: Record<Policy, Policy> = { reject: 'quarantine', quarantine: 'none', none: 'none' };
const CAP: Record<DmarcEnforcement, Policy> = { policy: 'reject', quarantine: 'quarantine', none: 'none' };
const STRENGTH: Record<Policy, number> = { none: 0, quarantine: 1, reject: 2 };

/** The authserv-id an Authentication-Results value starts with (comments and version dropped). */
export function authservIdOf(value: string): string {
  return value.replace(/\([^()]*\)/g, ' ').trim().split(/[\s;]+/)[0]?.toLowerCase() ?? '';
}

function asPolicy(p: string | undefined): Policy {
  return p === 'reject' || p === 'quarantine' ? p : 'none';
}

export class InboundVerifier implements InboundAuthenticator {
  private readonly sample: () => number;

  constructor(private readonly options: InboundVerifierOptions) {
    this.sample = options.sample ?? (() => randomInt(100));
  }

  async check(message: InboundMessage): Promise<InboundVerdict> {
    const head = await readHead(message.bytes);
    const edit: MessageEdit = { prepend: '', omit: this.forgedResults(head) };
    if (!head.complete) {
      // mailauth holds the header block in memory: one over HEAD_LIMIT is not verified, and a message
      // whose authenticity cannot be checked is not accepted from an MX client either.
      return { action: 'reject', code: 552, status: '5.3.4', text: `Header block over ${HEAD_LIMIT / 1024} KiB cannot be verified`, edit };
    }
    let result: AuthenticateResult;
    try {
      result = await authenticate(messageInput(message.bytes) as Parameters<typeof authenticate>[0], {
        ip: message.ip.replace(/^::ffff:/i, ''),
        helo: message.helo,
        sender: message.mailFrom,
        mta: this.options.authservId,
        resolver: this.options.resolver,
        disableBimi: true,
      });
    } catch (err) {
      // mailauth turns DNS and syntax trouble into temperror/permerror results; this is anything else.
      this.options.logger.warn({ err }, 'mail authentication failed; message delivered with a temperror result');
      edit.prepend = `Authentication-Results: ${this.options.authservId}; dkim=temperror; spf=temperror; dmarc=temperror\r\n`;
      return { action: 'deliver', edit };
    }
    edit.prepend = result.headers;
    const policy = this.dmarcAction(result);
    const domain = result.dmarc ? result.dmarc.domain : '';
    this.options.logger.info(
      { spf: result.spf ? result.spf.status.result : 'none', dmarc: result.dmarc ? result.dmarc.status.result : 'none', domain, action: policy },
      'inbound mail authenticated',
    );
    if (policy === 'reject') {
      return { action: 'reject', code: 550, status: '5.7.1', text: `Unauthenticated mail from ${domain} is refused by the DMARC policy of that domain`, edit };
    }
    return { action: policy === 'quarantine' ? 'quarantine' : 'deliver', edit };
  }

  async stripForged(bytes: Buffer | SpooledMessage): Promise<MessageEdit> {
    return { prepend: '', omit: this.forgedResults(await readHead(bytes)) };
  }

  /** What a DMARC failure makes us do: the domain's policy, sampled by pct=, capped by the operator. */
  private dmarcAction(result: AuthenticateResult): Policy {
    const dmarc = result.dmarc;
    if (!dmarc || dmarc.status.result !== 'fail') return 'none';
    let policy = asPolicy(dmarc.policy);
    const pct = typeof dmarc.pct === 'number' && dmarc.pct >= 0 && dmarc.pct <= 100 ? dmarc.pct : 100;
    if (pct < 100 && this.sample() >= pct) policy = WEAKER[policy];
    const cap = CAP[this.options.enforcement];
    return STRENGTH[policy] > STRENGTH[cap] ? cap : policy;
  }

  /** Authentication-Results fields claiming our authserv-id: byte spans to leave out. */
  private forgedResults(head: MessageHead): MessageEdit['omit'] {
    const ours = this.options.authservId.toLowerCase();
    return head.fields
      .filter((f) => f.name.toLowerCase() === 'authentication-results' && authservIdOf(f.value) === ours)
      .map((f) => ({ start: f.start, end: f.end }));
  }
}
