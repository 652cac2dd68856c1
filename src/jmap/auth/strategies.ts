// Builds the strategy chain from configuration. jwt and oidc name the same bearer validator (the
// auth core decides between local JWKS checks and introspection), so listing both adds it once.
import type { Logger } from '../../log/logger.js';
import type { JmapConfig } from '../../config/types.js';
import type { UsersRepository } from '../../auth/users/types.js';
import { BasicStrategy } from './basic.js';
import { BearerStrategy } from './bearer.js';
import { XUserStrategy } from './xuser.js';
import type { AuthStrategy, JmapAuthenticator } from './types.js';

export function buildStrategies(
  config: JmapConfig,
  authenticator: JmapAuthenticator,
  users: Pick<UsersRepository, 'lookup'>,
  logger: Logger,
): AuthStrategy[] {
  const out: AuthStrategy[] = [];
  let bearerAdded = false;
  for (const name of config.strategies) {
    if (name === 'basic') out.push(new BasicStrategy(authenticator, config.auth));
    else if (name === 'jwt' || name === 'oidc') {
      if (!bearerAdded) out.push(new BearerStrategy(authenticator, config.auth));
      bearerAdded = true;
    } else if (name === 'xuser') out.push(new XUserStrategy(config.xUser, users, logger, config.source));
  }
  return out;
}
