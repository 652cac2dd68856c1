// The DeliveryService over the MailStore: local recipients are appended to their INBOX, remote ones
// go to the durable outbound queue, and both are done before deliver() resolves. Remote copies are
// enqueued first, so a queue failure leaves nothing delivered and the client's retry makes no dupes.
import { randomBytes } from 'node:crypto';
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import type { Logger } from '../log/logger.js';
import type { MailStore } from '../store/types.js';
import { LocalDelivery } from './local.js';
import { receivedHeader } from './received.js';
import { RecipientRouter } from './router.js';
import { buildDsn, type FailedRecipient } from './dsn.js';
import type {
  DeliveryRequest,
  DeliveryResult,
  DeliveryService,
  RecipientOutcome,
  RecipientRoute,
  SubmitRequest,
} from './types.js';

export interface StoreDeliveryOptions {
  store: MailStore;
  users: UsersRepository;
  domains: DomainList;
  logger: Logger;
  /** Our host name (Received: "by", DSN Reporting-MTA). */
  hostname: string;
  /** Called after something was queued, so a worker can start at once instead of at its next poll. */
  onQueued?: () => void;
  now?: () => Date;
}

export class StoreDeliveryService implements DeliveryService {
  private readonly router: RecipientRouter;
  private readonly local: LocalDelivery;
  private readonly now: () => Date;
  onQueued: (() => void) | undefined;

  constructor(private readonly options: StoreDeliveryOptions) {
    this.router = new RecipientRouter(options.users, options.domains);
    this.local = new LocalDelivery(options.store);
    this.now = options.now ?? (() => new Date());
    this.onQueued = options.onQueued;
  }

  route(address: string): Promise<RecipientRoute> {
    return this.router.route(address);
  }

  async deliver(request: DeliveryRequest): Promise<DeliveryResult> {
    const id = randomBytes(8).toString('hex').toUpperCase();
    const receivedAt = this.now();
    const single = request.recipients.length === 1 ? request.recipients[0]!.address : undefined;
    const header = receivedHeader(request.trace, id, receivedAt, single);
    const bytes = Buffer.concat([Buffer.from(header, 'utf8'), request.bytes]);
    const outcomes: RecipientOutcome[] = [];

    const remote = request.recipients.filter((r) => r.kind === 'remote');
    let queueId: string | undefined;
    if (remote.length > 0) {
      const item = await this.options.store.enqueueOutbound({
        account: request.principal?.user ?? null,
        sender: request.from,
        recipients: remote.map((r) => r.address),
        bytes,
        meta: { smtpId: id, smtputf8: request.smtputf8 === true, submitter: request.meta ?? null },
      });
      queueId = item.id;
      for (const r of remote) outcomes.push({ address: r.address, status: 'queued' });
      this.onQueued?.();
    }
    // RFC 5321 §4.4: the MTA making final delivery records the envelope sender in Return-Path.
    const localBytes = Buffer.concat([Buffer.from(`Return-Path: <${request.from}>\r\n`, 'utf8'), bytes]);
    for (const r of request.recipients) {
      if (r.kind === 'local') outcomes.push(await this.local.deliver(r.user, r.address, localBytes, receivedAt));
      else if (r.kind === 'unknown') {
        outcomes.push({ address: r.address, status: 'failed', reason: 'permanent', message: 'User unknown' });
      }
    }
    const failed = outcomes.filter((o) => o.status === 'failed');
    if (request.bounceFailures && failed.length > 0 && failed.length < outcomes.length) {
      // The sender gets one 250 for everyone, so the recipients that failed are reported by DSN.
      await this.bounce(request.from, failed, bytes, receivedAt);
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
