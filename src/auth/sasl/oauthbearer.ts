// SASL OAUTHBEARER (RFC 7628).
import type { CredentialChecker, OAuthChallengeInfo } from '../credentials.js';
import { encodeBase64 } from './base64.js';
import { OAuthExchange } from './oauth-exchange.js';

/**
 * RFC 7628 §3.2.2 error challenge: base64 of {"status":"invalid_token","scope":…,"openid-configuration":…},
 * keys spelled as the RFC does, optional ones left out when not configured.
 */
export function oauthBearerErrorChallenge(info: OAuthChallengeInfo): string {
  const body: Record<string, string> = { status: 'invalid_token' };
  if (info.scope) body.scope = info.scope;
  if (info.openidConfiguration) body['openid-configuration'] = info.openidConfiguration;
  return encodeBase64(JSON.stringify(body));
}

export class OAuthBearerExchange extends OAuthExchange {
  readonly mechanism = 'OAUTHBEARER';
  constructor(checker: CredentialChecker, private readonly info: OAuthChallengeInfo) {
    super(checker);
  }
  protected errorChallenge(): string {
    return oauthBearerErrorChallenge(this.info);
  }
}
