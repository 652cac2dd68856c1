// OpenID Connect userinfo: GET with the bearer token. 401/403 means the provider no longer accepts
// the token; 5xx or no answer is an outage.
import { ProviderUnavailableError } from './errors.js';
import { isRecord, requestJson, safeUrl, type HttpOptions } from './http.js';

export type UserinfoAnswer = { accepted: false } | { accepted: true; claims: Record<string, unknown> };

export async function fetchUserinfo(token: string, url: string, http: HttpOptions): Promise<UserinfoAnswer> {
  const { status, body } = await requestJson('userinfo', url, { headers: { authorization: `Bearer ${token}` } }, http);
  if (status === 401 || status === 403) return { accepted: false };
  if (status !== 200 || !isRecord(body)) {
    throw new ProviderUnavailableError(`userinfo ${safeUrl(url)} answered ${status} without claims`);
  }
  return { accepted: true, claims: body };
}
