// The ManageSieve front-end (RFC 5804): one ProtocolServer per <managesieveserver> block.
import type { ManageSieveServerConfig } from '../config/types.js';
import type { ManageSieveDeps } from './deps.js';
import { ManageSieveServer } from './server.js';

export type { ManageSieveDeps, ManageSieveStore } from './deps.js';
export type { SessionLimits as ManageSieveSessionLimits } from './limits.js';
export { ManageSieveServer } from './server.js';

/** Builds a server for each enabled listener block. */
export function createManageSieveServers(deps: ManageSieveDeps, configs: ManageSieveServerConfig[]): ManageSieveServer[] {
  return configs.filter((c) => c.enabled).map((c) => new ManageSieveServer(c, deps));
}
