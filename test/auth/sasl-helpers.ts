// Test doubles for SASL state machines: a CredentialChecker that records what it was asked and answers
// a scripted result.
import type { CredentialChecker } from '../../src/auth/credentials.js';
import type { AuthFailureCode, AuthResult } from '../../src/auth/types.js';

export interface RecordedCall {
  kind: 'password' | 'token';
  user?: string;
  secret: string;
  mechanism: string;
  authzid?: string;
}

export class ScriptedChecker implements CredentialChecker {
  readonly calls: RecordedCall[] = [];
  constructor(public answer: 'ok' | AuthFailureCode = 'ok') {}

  async checkPassword(username: string, password: string, mechanism: string, authzid?: string): Promise<AuthResult> {
    this.calls.push({ kind: 'password', user: username, secret: password, mechanism, authzid });
    return this.result(username, mechanism);
  }

  /** Records the user the payload named: XOAUTH2's user= (claimedUser) or OAUTHBEARER's a= (authzid). */
  async checkToken(token: string, claimedUser: string | undefined, mechanism: string, authzid?: string): Promise<AuthResult> {
    const named = claimedUser ?? authzid;
    this.calls.push({ kind: 'token', user: named, secret: token, mechanism });
    return this.result(named ?? 'token-user', mechanism);
  }

  private result(user: string, mechanism: string): AuthResult {
    if (this.answer === 'ok') return { ok: true, principal: { user, mechanism } };
    return { ok: false, failure: { code: this.answer, message: this.answer } };
  }
}

export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
