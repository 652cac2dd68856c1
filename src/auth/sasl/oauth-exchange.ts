// The state machine shared by OAUTHBEARER and XOAUTH2. They differ only in the error challenge sent
// after a rejected token: the mechanism the client named decides it, whatever payload format it sent.
//
//   start ──(no IR)──▶ challenge "" ──▶ payload
//   payload ─ valid ─────────────▶ success
//           ─ invalid token ─────▶ error challenge ──(any reply)──▶ failure invalid
//           ─ temporary/throttled ▶ failure at once (no error challenge: the token may be fine)
import type { AuthFailure, SaslExchange, SaslStep } from '../types.js';
import type { CredentialChecker } from '../credentials.js';
import { decodeUtf8 } from './base64.js';
import { ABORTED, FINISHED, challenge, failure, readClientLine } from './client-line.js';
import { parseOAuthPayload } from './oauth-payload.js';

export abstract class OAuthExchange implements SaslExchange {
  abstract readonly mechanism: string;
  private state: 'new' | 'payload' | 'error-sent' | 'done' = 'new';
  private pendingFailure: AuthFailure | undefined;

  constructor(private readonly checker: CredentialChecker) {}

  /** Base64 error challenge sent after an invalid token. */
  protected abstract errorChallenge(): string;

  async start(initial?: string): Promise<SaslStep> {
    if (this.state !== 'new') return FINISHED;
    this.state = 'payload';
    if (initial === undefined) return challenge('');
    return this.handlePayload(initial, true);
  }

  async respond(line: string): Promise<SaslStep> {
    if (this.state === 'payload') return this.handlePayload(line, false);
    if (this.state === 'error-sent') {
      // RFC 7628 §3.2.3: the client answers the error challenge with ^A (or aborts); either way the
      // exchange fails with the reason already decided.
      this.state = 'done';
      return { type: 'failure', failure: this.pendingFailure ?? { code: 'invalid', message: 'Invalid token' } };
    }
    return FINISHED;
  }

  private async handlePayload(line: string, isInitial: boolean): Promise<SaslStep> {
    this.state = 'done';
    const read = readClientLine(line, isInitial);
    if (read.kind === 'abort') return ABORTED;
    if (read.kind === 'malformed') return { type: 'failure', failure: read.failure };
    const text = decodeUtf8(read.bytes);
    if (text === undefined) return failure('malformed', 'Authentication payload is not UTF-8');
    const parsed = parseOAuthPayload(text);
    if (!parsed.ok) return failure('malformed', `Malformed ${this.mechanism} payload`);
    const { token, user, format } = parsed.credentials;
    // RFC 7628 §3.1: a= is an authorization identity (someone the token's user may act as);
    // XOAUTH2's user= names the token's own user.
    const result =
      format === 'oauthbearer' ? await this.checker.checkToken(token, undefined, this.mechanism, user) : await this.checker.checkToken(token, user, this.mechanism);
    if (result.ok) return { type: 'success', principal: result.principal };
    if (result.failure.code !== 'invalid') return { type: 'failure', failure: result.failure };
    this.pendingFailure = result.failure;
    this.state = 'error-sent';
    return challenge(this.errorChallenge());
  }
}
