// One ManageSieve listener block (managesieveserver.xml <managesieveserver>): the shared line-protocol
// listener of src/net (binding, implicit TLS and STARTTLS, connection limits, idle timeout, stop
// deadline) serving ManageSieve sessions.
import type { ManageSieveServerConfig } from '../config/types.js';
import { LineServer, REFUSAL_TEXT } from '../net/index.js';
import type { ManageSieveDeps } from './deps.js';
import { DEFAULT_SESSION_LIMITS } from './limits.js';
import { bye } from './proto/response.js';
import { ManageSieveSession } from './session.js';

export class ManageSieveServer extends LineServer<ManageSieveSession> {
  constructor(config: ManageSieveServerConfig, deps: ManageSieveDeps) {
    const limits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
    super({
      settings: config,
      logger: deps.logger.child({ managesieve: config.name }),
      refusal: (reason) => bye(REFUSAL_TEXT[reason], 'TRYLATER'),
      // RFC 5804 §3: sieve://host:port
      schemes: { clear: 'sieve', tls: 'sieve' },
      create: (conn) => new ManageSieveSession(config, deps, conn, limits),
    });
  }
}
