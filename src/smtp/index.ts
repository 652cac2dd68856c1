// The SMTP front-end: one ProtocolServer per <smtpserver> block.
import type { SmtpServerConfig } from '../config/types.js';
import type { SmtpDeps } from './deps.js';
import { SmtpServer } from './server.js';

export type { SmtpDeps } from './deps.js';
export type { SessionLimits } from './limits.js';
export { SmtpServer } from './server.js';

/**
 * Builds a server for each enabled listener block. Throws (naming the block) on unusable settings.
 * `deps.delivery` comes from createDeliveryCore() in src/delivery (start its worker alongside).
 */
export function createSmtpServers(deps: SmtpDeps, configs: SmtpServerConfig[]): SmtpServer[] {
  return configs.filter((c) => c.enabled).map((c) => new SmtpServer(c, deps));
}
