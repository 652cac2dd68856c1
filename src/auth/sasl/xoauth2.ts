// SASL XOAUTH2 (Google): "user=…^Aauth=Bearer …^A^A".
import type { CredentialChecker, OAuthChallengeInfo } from '../credentials.js';
import { encodeBase64 } from './base64.js';
import { OAuthExchange } from './oauth-exchange.js';

/** Google's error challenge: base64 of {"status":"401","schemes":"bearer","scope":…}. */
export function xoauth2ErrorChallenge(info: OAuthChallengeInfo): string {
  const body: Record<string, string> = { status: '401', schemes: 'bearer' };
  if (info.scope) body.scope = info.scope;
  return encodeBase64(JSON.stringify(body));
}

export class XOAuth2Exchange extends OAuthExchange {
  readonly mechanism = 'XOAUTH2';
  constructor(checker: CredentialChecker, private readonly info: OAuthChallengeInfo) {
    super(checker);
  }
  protected errorChallenge(): string {
    return xoauth2ErrorChallenge(this.info);
  }
}
