// Builds the delivery core: the service SMTP and JMAP call, and the outbound worker it wakes.
import type { DomainList, UsersRepository } from '../auth/users/types.js';
import type { RecipientRewriteTable } from '../auth/rewrite/types.js';
import type { Logger } from '../log/logger.js';
import { StoreDeliveryService, type DeliveryStore } from './service.js';
import { OutboundWorker, type OutboundWorkerOptions } from './outbound/worker.js';
import type { DkimSigner } from './authentication/signer.js';

export type { DeliveryService, DeliveryRequest, DeliveryResult, RecipientRoute, RecipientOutcome, SubmitRequest, TraceInfo } from '../core/delivery.js';
export { RecipientLookupUnavailableError } from '../core/delivery.js';
export { StoreDeliveryService } from './service.js';
export { OutboundWorker } from './outbound/worker.js';
export { VacationResponder } from './vacation/responder.js';
export type { VacationOutcome } from './vacation/responder.js';
export type { SmarthostConfig } from './outbound/next-hop.js';
export type { DeliveryStore } from './service.js';
export { DkimSigner } from './authentication/signer.js';
export { InboundVerifier } from './authentication/inbound.js';
export { createDnsResolver } from './authentication/resolver.js';
export { readDataDirKeys, mailetKey, generateDkimKey, dnsRecord, DkimKeyError, type DkimKey } from './authentication/dkim-keys.js';

export interface DeliveryCoreOptions {
  store: DeliveryStore;
  users: UsersRepository;
  domains: DomainList;
  logger: Logger;
  hostname: string;
  /** StoreDeliveryOptions.postmaster. */
  postmaster?: string;
  /** StoreDeliveryOptions.rewrites: the recipient rewrite table. */
  rewrites?: RecipientRewriteTable;
  /** Vacation auto-replies (StoreDeliveryOptions.vacation): resend interval, or false for none. */
  vacation?: { resendAfterMs?: number } | false;
  /** Sieve filtering at local delivery (StoreDeliveryOptions.sieve): redirect budget, or false for none. */
  sieve?: { redirectsPerHour?: number } | false;
  /** DKIM signing of outbound mail (StoreDeliveryOptions.signer). */
  signer?: DkimSigner;
  /** Outbound settings: routes (tests), smarthost, polling, retries. */
  outbound?: Omit<OutboundWorkerOptions, 'store' | 'logger' | 'hostname' | 'report'>;
}

export interface DeliveryCore {
  service: StoreDeliveryService;
  worker: OutboundWorker;
}

/** Creates the service and its worker; call worker.start() to begin delivering the queue. */
export function createDeliveryCore(options: DeliveryCoreOptions): DeliveryCore {
  const service = new StoreDeliveryService({
    store: options.store,
    users: options.users,
    domains: options.domains,
    logger: options.logger.child({ component: 'delivery' }),
    hostname: options.hostname,
    ...(options.postmaster !== undefined ? { postmaster: options.postmaster } : {}),
    ...(options.rewrites ? { rewrites: options.rewrites } : {}),
    ...(options.vacation !== undefined ? { vacation: options.vacation } : {}),
    ...(options.sieve !== undefined ? { sieve: options.sieve } : {}),
    ...(options.signer ? { signer: options.signer } : {}),
  });
  const worker = new OutboundWorker({
    ...options.outbound,
    store: options.store,
    logger: options.logger.child({ component: 'outbound' }),
    hostname: options.hostname,
    report: (sender, recipients, original, arrival, context) => service.report(sender, recipients, original, arrival, context),
  });
  service.onQueued = () => worker.wake();
  return { service, worker };
}
