// WebAdmin, James' REST administration API, as a protocol adapter: `tessera serve` hands it the
// directory, store, sessions and health (./deps.ts) and starts the returned server.
import type { WebAdminConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { AdminAuthenticator, type AdminAuthOptions } from './auth.js';
import type { WebAdminDeps } from './deps.js';
import { webAdminRoutes } from './routes/index.js';
import { WebAdminServer } from './server.js';

export type { SessionAdmin, SessionView, WebAdminDeps } from './deps.js';
export { WEBADMIN_NAME } from './server.js';
export { OPENAPI_PATH } from './routes/index.js';

export function createWebAdminServer(
  config: WebAdminConfig,
  deps: WebAdminDeps,
  options: { logger: Logger; version: string; oidc?: AdminAuthOptions['oidc'] },
): WebAdminServer {
  const auth = new AdminAuthenticator({ jwtPublicKeys: config.jwt.publicKeys, ...(options.oidc ? { oidc: options.oidc } : {}) });
  // Said, not warned: the configuration allows it on loopback only (src/config/webadmin.ts), as the sample does.
  if (!auth.required) options.logger.info({ bind: config.bind }, 'WebAdmin has no authentication (jwt.enabled and oidc.enabled are off): it listens on loopback, and anyone on this host can administer Tessera through it');
  return new WebAdminServer({
    bind: config.bind,
    ...(config.tls ? { tls: config.tls } : {}),
    source: config.source,
    routes: webAdminRoutes(deps, options.version),
    auth,
    cors: config.cors,
    logger: options.logger,
  });
}
