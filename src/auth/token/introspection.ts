// RFC 7662 token introspection: POST application/x-www-form-urlencoded `token=…` with the configured
// Authorization header. A 200 answer with `active` is definite; anything else is an outage or a
// misconfiguration, which must not look like a bad token to the user.
import type { IntrospectionConfig } from '../../config/types.js';
import { ProviderUnavailableError } from './errors.js';
import { isRecord, requestJson, safeUrl, type HttpOptions } from './http.js';

export type IntrospectionAnswer = { active: false } | { active: true; claims: Record<string, unknown> };

export async function introspectToken(token: string, config: IntrospectionConfig, http: HttpOptions): Promise<IntrospectionAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (config.auth) headers.authorization = config.auth;
  const body = new URLSearchParams({ token, token_type_hint: 'access_token' }).toString();
  const { status, body: answer } = await requestJson('introspection', config.url, { method: 'POST', headers, body }, http);
  if (status !== 200 || !isRecord(answer) || typeof answer.active !== 'boolean') {
    // 401/403 means our client credentials are wrong: the operator's problem, not the user's.
    throw new ProviderUnavailableError(`introspection ${safeUrl(config.url)} answered ${status} without a usable result`);
  }
  return answer.active ? { active: true, claims: answer } : { active: false };
}
