// The vacation auto-reply (RFC 8621 §8 VacationResponse, RFC 3834): after a message reaches a
// local user's INBOX, answer its envelope sender once per period when the user's response is on.
//
// Decisions (RFC 3834 leaves some to the implementer):
// - The reply goes to the envelope sender (Return-Path), never to From/Reply-To, and is sent with
//   the null envelope sender <>, so it can neither bounce nor trigger another responder.
// - The user must be named in To, Cc, Bcc or a Resent- field (RFC 3834 §2's recommendation): mail
//   that reached them through a list, an alias expansion they are not named in, or a Bcc
//   that the sender's client stripped gets no reply. A name counts when it is the address the
//   message was delivered to, the account name, or any address that routes to the same account.
// - Never answered: the null sender, Auto-Submitted other than "no", Precedence bulk/list/junk,
//   any List-* header, a spam verdict, X-Auto-Response-Suppress OOF/All, program senders
//   (MAILER-DAEMON, owner-*, *-request, …), and the user's own addresses.
// - One reply per sender per period (the dates the user set), repeated at most every
//   resendAfterMs (7 days by default) for long absences.
// A failure here is logged and never fails the original delivery, which has already been stored.
//
// A Sieve `vacation` action (RFC 5230, src/delivery/sieve) is answered by the same code: the same
// screening, the same replied-senders record (its period is the action's :handle, its interval the
// action's :days/:seconds), the same composition. The JMAP VacationResponse is the vacation step
// of users whose active script has no vacation action.
import type { Logger } from '../../log/logger.js';
import type { JsonValue, RawHeader, SettingsStore } from '../../store/types.js';
import type { RecipientRoute } from '../../core/delivery.js';
import { composeVacationReply } from './compose.js';
import { RepliedSenders } from './replied.js';
import { explicitRecipients, parseOriginalHeaders, screenHeaders, screenSender, type SkipReason } from './screen.js';
import { isVacationActive, readVacation, vacationPeriod } from './settings.js';

export const DEFAULT_RESEND_AFTER_MS = 7 * 24 * 3600 * 1000;

/** The JMAP Identity setting, read only for the display name of the reply's From. */
const IDENTITY_SETTING_KEY = 'Identity';

export interface VacationResponderOptions {
  store: SettingsStore;
  logger: Logger;
  hostname: string;
  /** Routes an address (the delivery service's router). */
  route: (address: string) => Promise<RecipientRoute>;
  /** Sends the reply from the null sender to one routed recipient, through the delivery core. */
  send: (to: RecipientRoute, bytes: Buffer) => Promise<void>;
  resendAfterMs?: number;
}

export interface DeliveredCopy {
  /** Account that received the message. */
  user: string;
  /** The address it was delivered to (RCPT TO, as routed). */
  address: string;
  /** Envelope sender of the original. */
  sender: string;
  /**
   * The original message as received (without our trace headers), or at least its header block;
   * a function is called only when the user's vacation response is active.
   */
  original: Buffer | (() => Promise<Buffer>);
  receivedAt: Date;
}

/** One auto-response, from the JMAP VacationResponse or a Sieve vacation action. */
export interface AutoResponse {
  /** Identifies the response in the replied record: a new period answers everyone again. */
  period: string;
  /** How long one reply to a sender stands. */
  resendAfterMs: number;
  subject: string | null;
  textBody: string | null;
  htmlBody: string | null;
  /** RFC 5230 :mime: the reply's body is this MIME entity (its own header fields first). */
  mimeEntity?: string;
  /** RFC 5230 :from: the reply's From address. */
  from?: string;
  /** RFC 5230 :addresses: more addresses that count as the user's when screening. */
  addresses?: string[];
}

export type VacationOutcome = { sent: true } | { sent: false; reason: SkipReason | 'inactive' | 'already answered' | 'unroutable sender' | 'error' };

export class VacationResponder {
  private readonly replied: RepliedSenders;
  private readonly resendAfterMs: number;

  constructor(private readonly options: VacationResponderOptions) {
    this.resendAfterMs = options.resendAfterMs ?? DEFAULT_RESEND_AFTER_MS;
    this.replied = new RepliedSenders(options.store, this.resendAfterMs);
  }

  /** Answers `copy` if the user's vacation response says so. Never throws. */
  async respond(copy: DeliveredCopy): Promise<VacationOutcome> {
    try {
      return await this.tryRespond(copy);
    } catch (err) {
      this.options.logger.error({ err, user: copy.user, to: copy.sender }, 'vacation reply failed; original delivered');
      return { sent: false, reason: 'error' };
    }
  }

  /** Answers `copy` with a response a Sieve script chose. Never throws. */
  async respondWith(copy: DeliveredCopy, response: AutoResponse): Promise<VacationOutcome> {
    try {
      return await this.answer(copy, response);
    } catch (err) {
      this.options.logger.error({ err, user: copy.user, to: copy.sender }, 'sieve vacation reply failed; original delivered');
      return { sent: false, reason: 'error' };
    }
  }

  private async tryRespond(copy: DeliveredCopy): Promise<VacationOutcome> {
    // The cheap checks first: most deliveries are to users who are not away.
    const vacation = await readVacation(this.options.store, copy.user);
    if (!isVacationActive(vacation, copy.receivedAt)) return { sent: false, reason: 'inactive' };
    return this.answer(copy, {
      period: vacationPeriod(vacation),
      resendAfterMs: this.resendAfterMs,
      subject: vacation.subject,
      textBody: vacation.textBody,
      htmlBody: vacation.htmlBody,
    });
  }

  private async answer(copy: DeliveredCopy, response: AutoResponse): Promise<VacationOutcome> {
    const { logger } = this.options;
    const skip = (reason: SkipReason | 'unroutable sender'): VacationOutcome => {
      logger.debug({ user: copy.user, sender: copy.sender, reason }, 'vacation reply not sent');
      return { sent: false, reason };
    };
    const senderReason = screenSender(copy.sender);
    if (senderReason) return skip(senderReason);
    const headers = parseOriginalHeaders(typeof copy.original === 'function' ? await copy.original() : copy.original);
    const headerReason = screenHeaders(headers);
    if (headerReason) return skip(headerReason);
    const extra = (response.addresses ?? []).map((a) => a.toLowerCase());
    if (extra.includes(copy.sender.toLowerCase()) || (await this.isOwnAddress(copy, copy.sender))) return skip('own address');
    if (!(await this.namesUser(copy, headers, extra))) return skip('not addressed to user');
    let route: RecipientRoute;
    try {
      route = await this.options.route(copy.sender);
    } catch (err) {
      logger.warn({ err, user: copy.user, sender: copy.sender }, 'cannot route vacation reply');
      return { sent: false, reason: 'unroutable sender' };
    }
    if (route.kind === 'unknown') return skip('unroutable sender');
    if (route.kind === 'local' && route.user === copy.user) return skip('own address');

    const period = response.period;
    const now = copy.receivedAt;
    if (!(await this.replied.claim(copy.user, period, copy.sender, now, response.resendAfterMs))) {
      logger.debug({ user: copy.user, sender: copy.sender }, 'vacation reply already sent in this period');
      return { sent: false, reason: 'already answered' };
    }
    try {
      const fromName = await this.displayName(copy.user);
      const bytes = await composeVacationReply({
        vacation: { subject: response.subject, textBody: response.textBody, htmlBody: response.htmlBody },
        ...(response.mimeEntity !== undefined ? { mimeEntity: response.mimeEntity } : {}),
        from: (await this.ownFrom(copy, response.from, extra)) ?? this.fromAddress(copy),
        ...(fromName ? { fromName } : {}),
        to: copy.sender,
        originalHeaders: headers,
        hostname: this.options.hostname,
        now,
      });
      await this.options.send(route, bytes);
    } catch (err) {
      await this.replied.release(copy.user, period, copy.sender, now).catch((e: unknown) => {
        logger.warn({ err: e, user: copy.user }, 'cannot release vacation reply record');
      });
      throw err;
    }
    logger.info({ user: copy.user, to: copy.sender, route: route.kind }, 'vacation reply sent');
    return { sent: true };
  }

  /**
   * RFC 5230 :from, when it names one of the user's addresses (or their :addresses); a script cannot
   * make the server send auto-replies in someone else's name.
   */
  private async ownFrom(copy: DeliveredCopy, from: string | undefined, extra: string[]): Promise<string | undefined> {
    if (from === undefined) return undefined;
    const address = (/<([^<>]+)>\s*$/.exec(from)?.[1] ?? from).trim();
    if (extra.includes(address.toLowerCase()) || (await this.isOwnAddress(copy, address))) return address;
    this.options.logger.warn({ user: copy.user }, 'sieve vacation :from is not the user\'s address; the default From is used');
    return undefined;
  }

  /** The account name when it is an address (virtual hosting), else the address delivered to. */
  private fromAddress(copy: DeliveredCopy): string {
    return copy.user.includes('@') ? copy.user : copy.address;
  }

  /** Cheap comparisons first; an address is routed only when its local part could be the user's. */
  private async isOwnAddress(copy: DeliveredCopy, address: string): Promise<boolean> {
    const lower = address.toLowerCase();
    if (lower === copy.address.toLowerCase() || lower === copy.user.toLowerCase()) return true;
    const localOf = (a: string): string => (a.includes('@') ? a.slice(0, a.lastIndexOf('@')) : a).toLowerCase();
    if (localOf(lower) !== localOf(copy.address) && localOf(lower) !== localOf(copy.user)) return false;
    try {
      const route = await this.options.route(address);
      return route.kind === 'local' && route.user === copy.user;
    } catch {
      return false;
    }
  }

  private async namesUser(copy: DeliveredCopy, headers: RawHeader[], extra: string[]): Promise<boolean> {
    for (const address of new Set(explicitRecipients(headers))) {
      if (extra.includes(address) || (await this.isOwnAddress(copy, address))) return true;
    }
    return false;
  }

  /** Name of the user's default JMAP identity, when they gave one. */
  private async displayName(user: string): Promise<string | undefined> {
    const { value } = await this.options.store.getSetting(user, IDENTITY_SETTING_KEY);
    const list = isObject(value) && Array.isArray(value.identities) ? value.identities : [];
    const identity = list.find((i) => isObject(i) && i.id === 'default');
    return isObject(identity) && typeof identity.name === 'string' && identity.name.trim() !== '' ? identity.name : undefined;
  }
}

function isObject(v: JsonValue | null | undefined): v is { [key: string]: JsonValue } {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}
