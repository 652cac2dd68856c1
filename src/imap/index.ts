// The IMAP front-end: one ProtocolServer per enabled imapserver.xml block.
import type { ImapServerConfig } from '../config/types.js';
import type { ProtocolServer } from '../core/protocol.js';
import { ImapServer } from './server.js';
import type { ImapDeps } from './types.js';

export type { ImapDeps, ImapAuth } from './types.js';
export { ImapServer } from './server.js';

export function createImapServers(deps: ImapDeps, configs: ImapServerConfig[]): ProtocolServer[] {
  return configs.filter((c) => c.enabled).map((c) => new ImapServer(deps, c));
}
