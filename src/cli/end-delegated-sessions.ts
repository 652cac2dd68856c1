// After `tessera delegation revoke`: the grant's removal refuses new delegated logins, but sessions
// the delegate opened as the owner are already in; the running server (through its admin socket,
// <dataDir>/admin.sock) ends them at once on every node, as revoking an ACL right ends access.
import { loadSettingsConfig } from '../config/load.js';
import { adminSocketPath } from '../sessions/admin-protocol.js';
import { AdminProtocolError, AdminSocketUnavailableError, sendAdminRequest } from '../sessions/admin-client.js';
import type { CliIO } from './types.js';

/**
 * Asks the running server to end the sessions in which `delegate` acts as `owner`. True when they
 * ended, or when no server runs on this data directory (then none is live); false, with the reason
 * on stderr, when the server could not be asked or refused.
 */
export async function endDelegatedSessions(confDir: string, io: CliIO, owner: string, delegate: string): Promise<boolean> {
  const { config } = await loadSettingsConfig(confDir, { env: io.env });
  try {
    const reply = await sendAdminRequest(adminSocketPath(config.settings.dataDir), { op: 'revoke', user: owner, actor: delegate });
    if (!reply.ok) {
      io.stderr.write(`delegation: the running server did not end ${delegate}'s sessions as ${owner}: ${reply.error}\n`);
      return false;
    }
    if ('matched' in reply) io.stdout.write(`${reply.matched} live session${reply.matched === 1 ? '' : 's'} of ${delegate} as ${owner} ended\n`);
    return true;
  } catch (err) {
    if (err instanceof AdminSocketUnavailableError) return true;
    if (err instanceof AdminProtocolError) {
      io.stderr.write(`delegation: could not ask the running server to end ${delegate}'s sessions as ${owner}: ${err.message}\n`);
      return false;
    }
    throw err;
  }
}
