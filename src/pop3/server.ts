// One POP3 listener block (pop3server.xml <pop3server>): the shared line-protocol listener of src/net
// (binding, implicit TLS (995-style) and STLS, connection limits, idle timeout, stop deadline)
// serving POP3 sessions.
import type { Pop3ServerConfig } from '../config/types.js';
import { LineServer, REFUSAL_TEXT } from '../net/index.js';
import type { Pop3Deps } from './deps.js';
import { DEFAULT_SESSION_LIMITS } from './limits.js';
import { err } from './proto/response.js';
import { Pop3Session } from './session.js';

export class Pop3Server extends LineServer<Pop3Session> {
  constructor(config: Pop3ServerConfig, deps: Pop3Deps) {
    const limits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
    super({
      settings: config,
      logger: deps.logger.child({ pop3: config.name }),
      refusal: (reason) => err(REFUSAL_TEXT[reason], 'SYS/TEMP'),
      schemes: { clear: 'pop3', tls: 'pop3s' },
      startTlsName: 'STLS',
      create: (conn) => new Pop3Session(config, deps, conn, limits),
    });
  }
}
