// The DeliveryService over the MailStore: local recipients are appended to their INBOX, remote ones
// go to the durable outbound queue, and both are done before deliver() resolves. Remote copies are
// enqueued first, so a queue failure leaves nothing delivered and the client's retry makes no dupes.
import { createHash } from 'node:crypto';
import { randomId } from '../core/random-pool.js';
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import type { RecipientRewriteTable } from '../auth/rewrite/types.js';
import type { Logger } from '../log/logger.js';
import type { AccountStore, MailboxStore, MessageWriter, OutboundQueue, QuotaStore, SettingsStore, SpooledMessage } from '../store/types.js';
import { keptParts, spoolWithPrefix } from '../store/index.js';
import type { DkimSigner } from './authentication/signer.js';
import { ArcSealer } from './authentication/arc-sealer.js';
import { LocalDelivery } from './local.js';
import { receivedHeader } from './received.js';
import { RecipientRouter } from './router.js';
import { buildDsn, orcptOf, wantsReport, type DsnRecipientReport, type ReportContext } from './dsn.js';
import { VacationResponder, type AutoResponse } from './vacation/responder.js';
import { parseOriginalHeaders } from './vacation/screen.js';
import { SieveDelivery, type SieveDecision } from './sieve/deliver.js';
import type { SieveFilterStore } from './sieve/filter.js';
import { DEFAULT_REDIRECTS_PER_HOUR, loopMarker } from './sieve/redirect.js';
import type { RawHeader } from '../mime/types.js';
import type { VacationAction } from '../sieve/index.js';
import type {
  DeliveryRequest,
  DeliveryResult,
  DeliveryService,
  LocalRoute,
  RecipientDsn,
  RecipientOutcome,
  RecipientRoute,
  SubmitRequest,
} from '../core/delivery.js';
import { deliveriesTotal } from './metrics.js';

/** How much of a spooled message DSNs and auto-replies read: its header block is all they use. */
const HEADER_READ_LIMIT = 256 * 1024;
/**
 * The largest message a failure DSN returns whole when the client asked for RET=FULL; a larger one
 * comes back as headers only (RFC 3461 §4.3 lets the MTA decide how much to return).
 */
const FULL_RETURN_LIMIT = 10 * 1024 * 1024;

/**
 * What delivery needs of the store: accounts and their INBOX, appends, the outbound queue, the
 * settings vacation replies read and write, and usage against the limits (a full mailbox is refused
 * at RCPT). It never reads, searches or changes existing mail.
 */
export type DeliveryStore = AccountStore & MailboxStore & MessageWriter & OutboundQueue & SettingsStore & SieveFilterStore & Pick<QuotaStore, 'getQuota'>;

export interface StoreDeliveryOptions {
  store: DeliveryStore;
  users: UsersRepository;
  domains: DomainList;
  logger: Logger;
  /** Our host name (Received: "by", DSN Reporting-MTA). */
  hostname: string;
  /** Called after something was queued, so a worker can start at once instead of at its next poll. */
  onQueued?: () => void;
  now?: () => Date;
  /** Local user receiving postmaster@ mail when no such user exists (default postmaster@<default domain>). */
  postmaster?: string;
  /** Aliases, forwards and domain aliases applied at routing (absent: none). */
  rewrites?: RecipientRewriteTable;
  /**
   * Vacation auto-replies (RFC 8621 §8, RFC 3834): how long one reply to a sender stands before a
   * new message from them is answered again (default 7 days); false turns auto-replies off.
   */
  vacation?: { resendAfterMs?: number } | false;
  /**
   * Sieve filtering (RFC 5228) of local deliveries by each recipient's active script; false turns it
   * off (every copy goes to INBOX). redirectsPerHour bounds each user's Sieve redirects.
   */
  sieve?: { redirectsPerHour?: number } | false;
  /**
   * DKIM signing of mail leaving for other domains, done here — before the queue — so a queued
   * message is sent as signed whatever becomes of it (retries, DSNs quoting it).
   */
  signer?: DkimSigner;
}

/** A local copy stored, with what its recipient's script asked to do once every copy is stored. */
interface StoredCopy {
  user: string;
  address: string;
  redirects: string[];
  vacation: VacationAction | 'default' | null;
}

export class StoreDeliveryService implements DeliveryService {
  private readonly router: RecipientRouter;
  private readonly local: LocalDelivery;
  private readonly now: () => Date;
  private readonly vacation: VacationResponder | undefined;
  private readonly sieve: SieveDelivery | undefined;
  /** ARC sealing of forwarded mail, with the DKIM signer's keys. */
  private readonly arc: ArcSealer | undefined;
  onQueued: (() => void) | undefined;

  constructor(private readonly options: StoreDeliveryOptions) {
    this.arc = options.signer ? new ArcSealer(options.signer, options.logger) : undefined;
    this.router = new RecipientRouter(options.users, options.domains, options.postmaster, options.logger, options.rewrites);
    this.local = new LocalDelivery(options.store);
    this.now = options.now ?? (() => new Date());
    this.onQueued = options.onQueued;
    if (options.vacation !== false) {
      this.vacation = new VacationResponder({
        store: options.store,
        logger: options.logger,
        hostname: options.hostname,
        route: (address) => this.route(address),
        send: (to, bytes) => this.sendAutoReply(to, bytes),
        ...(options.vacation?.resendAfterMs !== undefined ? { resendAfterMs: options.vacation.resendAfterMs } : {}),
      });
    }
    if (options.sieve !== false) {
      this.sieve = new SieveDelivery({
        store: options.store,
        local: this.local,
        logger: options.logger,
        redirectsPerHour: options.sieve?.redirectsPerHour ?? DEFAULT_REDIRECTS_PER_HOUR,
      });
    }
  }

  route(address: string): Promise<RecipientRoute> {
    return this.router.route(address);
  }

  mailboxFull(route: LocalRoute): Promise<boolean> {
    return this.local.isFull(route.user);
  }

  async deliver(request: DeliveryRequest): Promise<DeliveryResult> {
    // From the pooled CSPRNG bytes: a randomBytes() call per message cost an OpenSSL call and a Buffer.
    const id = randomId(8, 'hex').toUpperCase();
    const receivedAt = this.now();
    const single = request.recipients.length === 1 ? request.recipients[0]!.address : undefined;
    const header = Buffer.from(receivedHeader(request.trace, id, receivedAt, single), 'utf8');
    const message = request.bytes;
    // A spooled message is never read whole here: copies with our lines in front are spooled files
    // too, and DSNs and auto-replies look only at the original's header block.
    const spooled = Buffer.isBuffer(message) ? undefined : message;
    // Inbound authentication's edit applies to every copy: its Authentication-Results in front, forged ones cut.
    const omit = request.edit?.omit ?? [];
    const authResults = Buffer.from(request.edit?.prepend ?? '', 'utf8');
    const withPrefix = (prefix: Buffer): Promise<Buffer | SpooledMessage> =>
      spooled
        ? spoolWithPrefix(prefix, spooled, omit)
        : Promise.resolve(Buffer.concat([prefix, ...(omit.length === 0 ? [message as Buffer] : keptParts(message as Buffer, 0, omit))]));
    let head: Promise<Buffer> | undefined;
    const original = (): Promise<Buffer> => (head ??= spooled ? spooled.head(HEADER_READ_LIMIT) : Promise.resolve(message as Buffer));
    const outcomes: RecipientOutcome[] = [];

    // A forward is delivered to each of its targets; its remote ones join the queued copy.
    const recipients = request.recipients.flatMap((r): readonly Exclude<RecipientRoute, { kind: 'forward' }>[] => (r.kind === 'forward' ? r.targets : [r]));
    const remote = recipients.filter((r) => r.kind === 'remote');
    let queueId: string | undefined;
    if (remote.length > 0) {
      const signatures = (await this.options.signer?.sign(message)) ?? '';
      const queued = await withPrefix(Buffer.concat([Buffer.from(signatures, 'utf8'), authResults, header]));
      try {
        const item = await this.options.store.enqueueOutbound({
          account: request.principal?.user ?? null,
          sender: request.from,
          recipients: remote.map((r) => ({ address: r.address, ...request.dsn?.recipients.get(r.address) })),
          envelope: {
            ...(request.dsn?.ret ? { ret: request.dsn.ret } : {}),
            ...(request.dsn?.envid !== undefined ? { envid: request.dsn.envid } : {}),
            ...(request.smtputf8 ? { smtputf8: true } : {}),
            ...(request.requireTls ? { requireTls: true } : {}),
          },
          bytes: queued,
          meta: { smtpId: id, smtputf8: request.smtputf8 === true, submitter: request.meta ?? null },
        });
        queueId = item.id;
      } finally {
        if (!Buffer.isBuffer(queued)) await queued.discard();
      }
      for (const r of remote) outcomes.push({ address: r.forwardedFor ?? r.address, status: 'queued' });
      deliveriesTotal.inc({ kind: 'outbound', outcome: 'queued' }, remote.length);
      this.onQueued?.();
    }
    const delivered: StoredCopy[] = [];
    // RFC 5321 §4.4: the MTA making final delivery records the envelope sender in Return-Path.
    // Every local copy has the same bytes, so the store keeps one blob for all of them.
    let localBytes: Buffer | SpooledMessage | undefined;
    let localHeaders: Promise<RawHeader[]> | undefined;
    try {
      for (const r of recipients) {
        if (r.kind === 'local') {
          localBytes ??= await withPrefix(Buffer.concat([Buffer.from(`Return-Path: <${request.from}>\r\n`, 'utf8'), authResults, header]));
          let decision: SieveDecision;
          if (this.sieve) {
            const bytes = localBytes;
            // Parsed once for all recipients, and only if one of them has a script.
            const headers = (): Promise<RawHeader[]> =>
              (localHeaders ??= (Buffer.isBuffer(bytes) ? Promise.resolve(bytes) : bytes.head(HEADER_READ_LIMIT)).then(parseOriginalHeaders));
            decision = await this.sieve.deliver({ user: r.user, address: r.address, sender: request.from, bytes, headers, receivedAt, quarantine: request.quarantine === true });
          } else {
            decision = { outcome: await this.local.deliver(r.user, r.address, localBytes, receivedAt, undefined, request.quarantine === true), redirects: [], vacation: 'default' };
          }
          const outcome = decision.outcome;
          outcomes.push(outcome);
          deliveriesTotal.inc({ kind: 'local', outcome: outcome.status });
          if (outcome.status === 'delivered') {
            delivered.push({ user: r.user, address: r.address, redirects: decision.redirects, vacation: decision.vacation });
            // Redirected copies leave while the spooled message is still at hand.
            for (const to of decision.redirects) await this.redirect(r.user, r.address, to, request.from, header, withPrefix, request.edit?.prepend ?? '');
          }
        } else if (r.kind === 'unknown') {
          outcomes.push({ address: r.address, status: 'failed', reason: 'permanent', message: 'User unknown' });
        }
      }
    } finally {
      if (localBytes !== undefined && !Buffer.isBuffer(localBytes)) await localBytes.discard();
    }
    // Auto-replies once every copy is stored; respond() never throws, so they cannot fail this one.
    if (this.vacation) {
      for (const r of delivered) {
        const copy = { user: r.user, address: r.address, sender: request.from, original, receivedAt };
        if (r.vacation === 'default') await this.vacation.respond(copy);
        else if (r.vacation !== null) await this.vacation.respondWith(copy, sieveResponse(r.vacation));
      }
    }
    await this.reportLocalOutcomes(request, outcomes, receivedAt, async (full) => {
      if (full && spooled && spooled.size <= FULL_RETURN_LIMIT) return Buffer.concat([header, await spooled.read()]);
      return Buffer.concat([header, await original()]);
    });
    return queueId === undefined ? { id, outcomes } : { id, outcomes, queueId };
  }

  /**
   * DSNs for what happened here and now: SMTP answers once for everyone and reports the recipients
   * that failed by DSN when others succeeded (unless their NOTIFY excludes FAILURE); local deliveries
   * are reported as "delivered" to recipients who asked for NOTIFY=SUCCESS (RFC 3461 §4.1).
   */
  private async reportLocalOutcomes(
    request: DeliveryRequest,
    outcomes: RecipientOutcome[],
    receivedAt: Date,
    original: (full: boolean) => Promise<Buffer>,
  ): Promise<void> {
    const dsn = request.dsn;
    const notifyOf = (address: string): RecipientDsn => dsn?.recipients.get(address) ?? {};
    const failed = outcomes.filter((o) => o.status === 'failed');
    const reports: DsnRecipientReport[] = [];
    if (request.bounceFailures && failed.length > 0 && failed.length < outcomes.length) {
      for (const f of failed) {
        if (f.status !== 'failed' || !wantsReport(notifyOf(f.address).notify, 'failed')) continue;
        reports.push({
          address: f.address,
          action: 'failed',
          status: f.reason === 'overQuota' ? '5.2.2' : f.reason === 'rejected' ? '5.7.1' : '5.0.0',
          diagnostic: f.message,
          diagnosticType: 'x-local',
          ...orcptOf(notifyOf(f.address)),
        });
      }
    }
    for (const o of outcomes) {
      if (o.status !== 'delivered' || !wantsReport(notifyOf(o.address).notify, 'delivered')) continue;
      reports.push({ address: o.address, action: 'delivered', status: '2.0.0', ...orcptOf(notifyOf(o.address)) });
    }
    if (reports.length === 0) return;
    const full = dsn?.ret === 'FULL' && reports.some((r) => r.action === 'failed') && !request.requireTls;
    await this.report(request.from, reports, await original(full), receivedAt, {
      ...(full ? { ret: 'FULL' } : {}),
      ...(dsn?.envid !== undefined ? { envid: dsn.envid } : {}),
    });
  }

  async submit(request: SubmitRequest): Promise<DeliveryResult> {
    const recipients: RecipientRoute[] = [];
    // DeliveryRequest keys DSN parameters by route address, as SMTP's RCPT does.
    const byRoute = new Map<string, RecipientDsn>();
    for (const address of request.to) {
      const route = await this.route(address);
      recipients.push(route);
      const dsn = request.dsn?.recipients.get(address);
      if (dsn) byRoute.set(route.address, dsn);
    }
    return this.deliver({
      from: request.from,
      recipients,
      bytes: request.bytes,
      principal: request.principal,
      meta: request.meta,
      ...(request.dsn ? { dsn: { ...request.dsn, recipients: byRoute } } : {}),
      ...(request.requireTls ? { requireTls: true } : {}),
      trace: {
        helo: request.trace?.helo ?? this.options.hostname,
        peerAddress: request.trace?.peerAddress ?? '127.0.0.1',
        protocol: request.trace?.protocol ?? 'HTTPSA',
        by: request.trace?.by ?? this.options.hostname,
      },
    });
  }

  /**
   * Sends a Sieve redirect: the message as received, under our Received line and the loop marker,
   * from the original envelope sender (RFC 5228 §4.2), through the router — the outbound queue for
   * remote addresses, local delivery (and that user's script) for ours. A failure is logged: the
   * user's own copy, if any, is already stored.
   */
  private async redirect(
    user: string,
    address: string,
    to: string,
    sender: string,
    received: Buffer,
    withPrefix: (prefix: Buffer) => Promise<Buffer | SpooledMessage>,
    arrivalResults: string,
  ): Promise<void> {
    const { logger } = this.options;
    try {
      const route = await this.route(to);
      if (route.kind === 'unknown') {
        logger.warn({ user, to }, 'sieve redirect to an unknown local address dropped');
        return;
      }
      const bytes = await this.arcSealed(address, route, Buffer.concat([loopMarker(address), received]), withPrefix, arrivalResults);
      try {
        const result = await this.deliver({
          from: sender,
          recipients: [route],
          bytes,
          trace: { helo: this.options.hostname, peerAddress: '127.0.0.1', protocol: 'LOCAL', by: this.options.hostname },
          meta: { sieveRedirectBy: user },
        });
        logger.info({ user, to, id: result.id, outcome: result.outcomes[0]?.status }, 'sieve redirect sent');
      } finally {
        if (!Buffer.isBuffer(bytes)) await bytes.discard();
      }
    } catch (err) {
      logger.error({ err, user, to }, 'sieve redirect failed');
    }
  }

  /**
   * The redirected copy, with an ARC set (RFC 8617) in front when it leaves for another domain after
   * arriving over an MX (we hold our Authentication-Results of its arrival) and the forwarding user's
   * domain has an RSA DKIM key: the next hop then sees our verdict, signed, though SPF now fails.
   */
  private async arcSealed(
    /** The local address the message was delivered to: its domain seals (the forwarding domain). */
    address: string,
    route: RecipientRoute,
    prefix: Buffer,
    withPrefix: (prefix: Buffer) => Promise<Buffer | SpooledMessage>,
    arrivalResults: string,
  ): Promise<Buffer | SpooledMessage> {
    const unsealed = await withPrefix(prefix);
    if (!this.arc || route.kind !== 'remote' || arrivalResults === '') return unsealed;
    let set: string;
    try {
      set = await this.arc.seal(unsealed, address.slice(address.lastIndexOf('@') + 1).toLowerCase(), arrivalResults);
    } finally {
      if (!Buffer.isBuffer(unsealed)) await unsealed.discard();
    }
    return withPrefix(Buffer.concat([Buffer.from(set, 'utf8'), prefix]));
  }

  /** Delivers a vacation reply from the null sender (as RFC 3834 advises): it can neither bounce nor loop. */
  private async sendAutoReply(to: RecipientRoute, bytes: Buffer): Promise<void> {
    const result = await this.deliver({
      from: '',
      recipients: [to],
      bytes,
      trace: { helo: this.options.hostname, peerAddress: '127.0.0.1', protocol: 'LOCAL', by: this.options.hostname },
    });
    const failed = result.outcomes.find((o) => o.status === 'failed');
    if (failed && failed.status === 'failed') throw new Error(`auto-reply to ${to.address} failed: ${failed.message}`);
  }

  /**
   * Sends a DSN about `recipients` to `sender` (nothing for the null sender: bounces never bounce).
   * Used for local outcomes here and for the outbound worker's failures, delays and relays.
   */
  async report(sender: string, recipients: DsnRecipientReport[], original: Buffer, arrivalDate: Date, context: ReportContext = {}): Promise<void> {
    if (sender === '' || recipients.length === 0) return;
    const dsn = buildDsn({
      reportingHost: this.options.hostname,
      originalSender: sender,
      recipients,
      original,
      ...(context.ret ? { ret: context.ret } : {}),
      ...(context.envid !== undefined ? { envid: context.envid } : {}),
      arrivalDate,
      now: this.now(),
    });
    let route: RecipientRoute;
    try {
      route = await this.route(sender);
    } catch (err) {
      this.options.logger.warn({ err, sender }, 'cannot route DSN; dropped');
      return;
    }
    if (route.kind === 'unknown') {
      this.options.logger.warn({ sender }, 'DSN to unknown local sender dropped');
      return;
    }
    const result = await this.deliver({
      from: '',
      recipients: [route],
      bytes: dsn,
      trace: { helo: this.options.hostname, peerAddress: '127.0.0.1', protocol: 'LOCAL', by: this.options.hostname },
    });
    this.options.logger.info({ id: result.id, to: sender, recipients: recipients.length, action: recipients[0]!.action }, 'DSN sent');
  }
}

/** A Sieve vacation action (RFC 5230) as the responder's auto-response. */
function sieveResponse(v: VacationAction): AutoResponse {
  return {
    // The handle defaults to the whole reason text: hashed, it stays small in the replied record.
    period: `sieve:${createHash('sha256').update(v.handle).digest('hex').slice(0, 32)}`,
    resendAfterMs: v.seconds * 1000,
    subject: v.subject,
    textBody: v.mime ? null : v.reason,
    htmlBody: null,
    ...(v.mime ? { mimeEntity: v.reason } : {}),
    ...(v.from !== null ? { from: v.from } : {}),
    addresses: v.addresses,
  };
}
