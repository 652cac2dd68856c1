// Creates the exchange for a mechanism name (case-insensitive); undefined for unknown mechanisms.
import type { SaslExchange } from '../types.js';
import type { CredentialChecker, OAuthChallengeInfo } from '../credentials.js';
import { PlainExchange } from './plain.js';
import { LoginExchange } from './login.js';
import { OAuthBearerExchange } from './oauthbearer.js';
import { XOAuth2Exchange } from './xoauth2.js';

export function createSaslExchange(
  mechanism: string,
  checker: CredentialChecker,
  challengeInfo: OAuthChallengeInfo,
): SaslExchange | undefined {
  switch (mechanism.toUpperCase()) {
    case 'PLAIN':
      return new PlainExchange(checker);
    case 'LOGIN':
      return new LoginExchange(checker);
    case 'OAUTHBEARER':
      return new OAuthBearerExchange(checker, challengeInfo);
    case 'XOAUTH2':
      return new XOAuth2Exchange(checker, challengeInfo);
    default:
      return undefined;
  }
}
