// Mail authentication for `tessera serve`: the DKIM keys (data directory and James' DKIMSign
// mailets) the delivery core signs outbound mail with, and the inbound verifier the SMTP listeners
// consult, both asking DNS through dnsservice.xml's resolver.
import { hostname } from 'node:os';
import { createDnsResolver, DkimKeyError, DkimSigner, InboundVerifier, mailetKey, readDataDirKeys } from '../delivery/index.js';
import type { InboundAuthenticator } from '../core/mail-auth.js';
import type { ServerContext } from './context.js';
import { sharedResource } from './resources.js';
import { StartupError } from './errors.js';

export interface MailAuthentication {
  signer: DkimSigner;
  /** Undefined when `mailauth.inbound=false`. */
  inbound: InboundAuthenticator | undefined;
}

/** RFC 8601 §2.5: the authserv-id names the host that did the checks; by default our SMTP name. */
export function authservIdOf(ctx: ServerContext): string {
  return ctx.config.mailAuth.authservId ?? ctx.config.smtp[0]?.helloName ?? hostname();
}

export const mailAuthResource = sharedResource<MailAuthentication>('mail authentication', async (ctx) => {
  const cfg = ctx.config.mailAuth;
  const logger = ctx.logger.child({ component: 'mailauth' });
  let own;
  try {
    own = await readDataDirKeys(ctx.dataDir);
  } catch (err) {
    if (err instanceof DkimKeyError) throw new StartupError(`DKIM key: ${err.message}; replace it with \`tessera dkim generate\` or remove it`);
    throw err;
  }
  const selected = cfg.dkimSelectors ? own.filter((k) => cfg.dkimSelectors!.includes(k.selector)) : own;
  const keys = [...selected, ...cfg.dkimMailetKeys.map(mailetKey)];
  for (const k of keys) logger.info({ domain: k.domain, selector: k.selector, algorithm: k.algorithm }, 'DKIM signing key');
  const signer = new DkimSigner({ keys, logger, ...(cfg.dkimHeaders ? { headers: cfg.dkimHeaders } : {}) });
  const inbound = cfg.inbound
    ? new InboundVerifier({ resolver: createDnsResolver(cfg.dns), authservId: authservIdOf(ctx), enforcement: cfg.dmarcEnforcement, logger })
    : undefined;
  return { signer, inbound };
});
