// The POP3 front-end: one ProtocolServer per <pop3server> block.
import type { Pop3ServerConfig } from '../config/types.js';
import type { Pop3Deps } from './deps.js';
import { Pop3Server } from './server.js';

export type { Pop3Deps, Pop3Store } from './deps.js';
export type { SessionLimits as Pop3SessionLimits } from './limits.js';
export { Pop3Server } from './server.js';

/** Builds a server for each enabled listener block. Throws (naming the block) on unusable settings. */
export function createPop3Servers(deps: Pop3Deps, configs: Pop3ServerConfig[]): Pop3Server[] {
  return configs.filter((c) => c.enabled).map((c) => new Pop3Server(c, deps));
}
