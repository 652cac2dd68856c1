// Delivery for JMAP tests that send mail: the real delivery core, with example.com as the one local
// domain, so EmailSubmission delivers to the harness's users without any network.
import { StoreDeliveryService } from '../../src/delivery/service.js';
import type { DomainList } from '../../src/auth/users/types.js';
import type { HarnessOptions } from './harness.js';

const exampleDomains: DomainList = {
  defaultDomain: 'example.com',
  list: async () => ['example.com'],
  contains: async (d) => d.toLowerCase() === 'example.com',
  add: async () => undefined,
  remove: async () => undefined,
};

export const localDelivery: NonNullable<HarnessOptions['delivery']> = (store, users, logger) =>
  new StoreDeliveryService({ store, users, domains: exampleDomains, logger, hostname: 'tessera.test' });
