// The DeliveryService over the MailStore: local recipients are appended to their INBOX, remote ones
// go to the durable outbound queue, and both are done before deliver() resolves. Remote copies are
// enqueued first, so a queue failure leaves nothing delivered and the client's retry makes no dupes.
import { randomBytes } from 'node:crypto';
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import type { Logger } from '../log/logger.js';
import type { AccountStore, MailboxStore, MessageWriter, OutboundQueue, SettingsStore, SpooledMessage } from '../store/types.js';
import { keptParts, spoolWithPrefix } from '../store/index.js';
import type { DkimSigner } from './authentication/signer.js';
import { LocalDelivery } from './local.js';
import { receivedHeader } from './received.js';
import { RecipientRouter } from './router.js';
import { buildDsn, type FailedRecipient } from './dsn.js';
import { VacationResponder } from './vacation/responder.js';
import type {
  DeliveryRequest,
  DeliveryResult,
  DeliveryService,
  RecipientOutcome,
  RecipientRoute,
  SubmitRequest,
} from '../core/delivery.js';
import { deliveriesTotal } from './metrics.js';

/**
 * What delivery needs of the store: accounts and their INBOX, appends, the outbound queue, and the
 * settings vacation replies read and write. It never reads, searches or changes existing mail.
 */
/** How much of a spooled message DSNs and auto-replies read: its header block is all they use. */
const HEADER_READ_LIMIT = 256 * 1024;

export type DeliveryStore = AccountStore & MailboxStore & MessageWriter & OutboundQueue & SettingsStore;

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
  /**
   * Vacation auto-replies (RFC 8621 §8, RFC 3834): how long one reply to a sender stands before a
   * new message from them is answered again (default 7 days); false turns auto-replies off.
   */
  vacation?: { resendAfterMs?: number } | false;
  /**
   * DKIM signing of mail leaving for other domains, done here — before the queue — so a queued
   * message is sent as signed whatever becomes of it (retries, DSNs quoting it).
   */
  signer?: DkimSigner;
}

export class StoreDeliveryService implements DeliveryService {
  private readonly router: RecipientRouter;
  private readonly local: LocalDelivery;
  private readonly now: () => Date;
  private readonly vacation: VacationResponder | undefined;
  onQueued: (() => void) | undefined;

  constructor(private readonly options: StoreDeliveryOptions) {
    this.router = new RecipientRouter(options.users, options.domains, options.postmaster, options.logger);
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
  }

  route(address: string): Promise<RecipientRoute> {
    return this.router.route(address);
  }

  async deliver(request: DeliveryRequest): Promise<DeliveryResult> {
    const id = randomBytes(8).toString('hex').toUpperCase();
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

    const remote = request.recipients.filter((r) => r.kind === 'remote');
    let queueId: string | undefined;
    if (remote.length > 0) {
      const signatures = (await this.options.signer?.sign(message)) ?? '';
      const queued = await withPrefix(Buffer.concat([Buffer.from(signatures, 'utf8'), authResults, header]));
      try {
        const item = await this.options.store.enqueueOutbound({
          account: request.principal?.user ?? null,
          sender: request.from,
          recipients: remote.map((r) => r.address),
          bytes: queued,
          meta: { smtpId: id, smtputf8: request.smtputf8 === true, submitter: request.meta ?? null },
        });
        queueId = item.id;
      } finally {
        if (!Buffer.isBuffer(queued)) await queued.discard();
      }
      for (const r of remote) outcomes.push({ address: r.address, status: 'queued' });
      deliveriesTotal.inc({ kind: 'outbound', outcome: 'queued' }, remote.length);
      this.onQueued?.();
    }
    const delivered: Array<{ user: string; address: string }> = [];
    // RFC 5321 §4.4: the MTA making final delivery records the envelope sender in Return-Path.
    // Every local copy has the same bytes, so the store keeps one blob for all of them.
    let localBytes: Buffer | SpooledMessage | undefined;
    try {
      for (const r of request.recipients) {
        if (r.kind === 'local') {
          localBytes ??= await withPrefix(Buffer.concat([Buffer.from(`Return-Path: <${request.from}>\r\n`, 'utf8'), authResults, header]));
          const outcome = await this.local.deliver(r.user, r.address, localBytes, receivedAt, request.quarantine === true);
          outcomes.push(outcome);
          deliveriesTotal.inc({ kind: 'local', outcome: outcome.status });
          if (outcome.status === 'delivered') delivered.push(r);
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
        await this.vacation.respond({ user: r.user, address: r.address, sender: request.from, original, receivedAt });
      }
    }
    const failed = outcomes.filter((o) => o.status === 'failed');
    if (request.bounceFailures && failed.length > 0 && failed.length < outcomes.length) {
      // The sender gets one 250 for everyone, so the recipients that failed are reported by DSN.
      await this.bounce(request.from, failed, Buffer.concat([header, await original()]), receivedAt);
    }
    return queueId === undefined ? { id, outcomes } : { id, outcomes, queueId };
  }

  async submit(request: SubmitRequest): Promise<DeliveryResult> {
    const recipients: RecipientRoute[] = [];
    for (const address of request.to) recipients.push(await this.route(address));
    return this.deliver({
      from: request.from,
      recipients,
      bytes: request.bytes,
      principal: request.principal,
      meta: request.meta,
      trace: {
        helo: request.trace?.helo ?? this.options.hostname,
        peerAddress: request.trace?.peerAddress ?? '127.0.0.1',
        protocol: request.trace?.protocol ?? 'HTTPSA',
        by: request.trace?.by ?? this.options.hostname,
      },
    });
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
   * Sends a DSN for `failed` to `sender` (nothing for the null sender: bounces never bounce). Used for
   * partial local failures here and for final remote failures by the outbound worker.
   */
  async bounce(sender: string, failed: RecipientOutcome[] | FailedRecipient[], original: Buffer, arrivalDate: Date): Promise<void> {
    if (sender === '') return;
    const list: FailedRecipient[] = failed.map((f) =>
      'diagnostic' in f
        ? f
        : {
            address: f.address,
            status: f.status === 'failed' && f.reason === 'overQuota' ? '5.2.2' : '5.0.0',
            diagnostic: f.status === 'failed' ? f.message : 'failed',
            diagnosticType: 'x-local',
          },
    );
    const dsn = buildDsn({
      reportingHost: this.options.hostname,
      originalSender: sender,
      failed: list,
      original,
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
    this.options.logger.info({ id: result.id, to: sender, failed: list.length }, 'DSN sent');
  }
}
