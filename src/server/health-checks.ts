// The components `tessera serve` reports on: the mail store, the users repository (SQLite or LDAP),
// each OpenID provider the listeners trust, and the outbound queue.
import type { OidcConfig } from '../config/types.js';
import type { UsersRepository } from '../auth/users/types.js';
import type { OutboundQueue } from '../store/api/outbound.js';
import type { AccountStore } from '../store/api/accounts.js';
import type { HealthCheck, HealthVerdict } from '../core/health.js';

/** A name no repository holds: the lookup exercises the backend (an LDAP search) without a real user. */
const PROBE_USER = 'tessera-healthcheck@healthcheck.invalid';

export function storeCheck(store: Pick<AccountStore, 'getAccount'>): HealthCheck {
  return {
    componentName: 'Mail store',
    critical: true,
    check: async () => {
      await store.getAccount(PROBE_USER);
      return { status: 'healthy' };
    },
  };
}

export function usersCheck(users: Pick<UsersRepository, 'lookup'>): HealthCheck {
  return {
    componentName: 'Users repository',
    critical: true,
    check: async () => {
      await users.lookup(PROBE_USER);
      return { status: 'healthy' };
    },
  };
}

/** A queued message older than this means relaying is stuck: degraded, mail still flows in. */
export const QUEUE_STUCK_MS = 60 * 60_000;

export function queueCheck(queue: Pick<OutboundQueue, 'listOutbound'>, now: () => number = Date.now): HealthCheck {
  return {
    componentName: 'Outbound queue',
    critical: false,
    check: async () => {
      const items = await queue.listOutbound({ status: 'queued' });
      const oldest = items.reduce((min, i) => Math.min(min, i.createdAt.getTime()), Infinity);
      if (items.length > 0 && now() - oldest > QUEUE_STUCK_MS) {
        return { status: 'degraded', cause: `${items.length} queued, oldest ${Math.round((now() - oldest) / 60_000)} min old` };
      }
      return { status: 'healthy' };
    },
  };
}

/** The document fetched to see whether a provider answers: discovery, else the JWKS. */
type ProviderUrls = Pick<OidcConfig, 'oidcConfigurationURL' | 'jwksURL' | 'issuer'>;

export function providerProbeUrl(oidc: ProviderUrls): string | undefined {
  if (oidc.oidcConfigurationURL) return oidc.oidcConfigurationURL;
  if (oidc.jwksURL) return oidc.jwksURL;
  return oidc.issuer ? `${oidc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration` : undefined;
}

/** How long a provider verdict is reused: probes every few seconds must not hammer the IdP. */
export const PROVIDER_CACHE_MS = 30_000;
const PROVIDER_TIMEOUT_MS = 3000;

export function providerChecks(blocks: readonly ProviderUrls[], fetchFn: typeof fetch = fetch, now: () => number = Date.now): HealthCheck[] {
  const urls = [...new Set(blocks.map(providerProbeUrl).filter((u): u is string => u !== undefined))];
  return urls.map((url) => {
    let cached: { at: number; verdict: Promise<HealthVerdict> } | undefined;
    const probe = async (): Promise<HealthVerdict> => {
      try {
        const res = await fetchFn(url, { redirect: 'error', signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
        await res.body?.cancel().catch(() => undefined);
        return res.ok ? { status: 'healthy' } : { status: 'unhealthy', cause: `${url} answered ${res.status}` };
      } catch (err) {
        return { status: 'unhealthy', cause: `${url} unreachable: ${err instanceof Error ? err.message : String(err)}` };
      }
    };
    return {
      componentName: `OpenID provider ${new URL(url).origin}`,
      critical: false,
      check: () => {
        if (!cached || now() - cached.at >= PROVIDER_CACHE_MS) cached = { at: now(), verdict: probe() };
        return cached.verdict;
      },
    };
  });
}
