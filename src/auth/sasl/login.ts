// SASL LOGIN (draft-murchison-sasl-login): the server asks "Username:" then "Password:". An initial
// response, when sent (SMTP "AUTH LOGIN <b64 user>"), is the user name.
import type { SaslExchange, SaslStep } from '../types.js';
import type { CredentialChecker } from '../credentials.js';
import { decodeUtf8 } from './base64.js';
import { ABORTED, FINISHED, challenge, failure, readClientLine } from './client-line.js';

/** base64("Username:") and base64("Password:"), the challenges every client expects verbatim. */
export const LOGIN_USERNAME_CHALLENGE = 'VXNlcm5hbWU6';
export const LOGIN_PASSWORD_CHALLENGE = 'UGFzc3dvcmQ6';

export class LoginExchange implements SaslExchange {
  readonly mechanism = 'LOGIN';
  private state: 'new' | 'username' | 'password' | 'done' = 'new';
  private username = '';

  constructor(private readonly checker: CredentialChecker) {}

  async start(initial?: string): Promise<SaslStep> {
    if (this.state !== 'new') return FINISHED;
    if (initial === undefined || initial === '=') {
      this.state = 'username';
      return challenge(LOGIN_USERNAME_CHALLENGE);
    }
    this.state = 'username';
    return this.respondUsername(initial, true);
  }

  async respond(line: string): Promise<SaslStep> {
    if (this.state === 'username') return this.respondUsername(line, false);
    if (this.state === 'password') return this.respondPassword(line);
    return FINISHED;
  }

  private respondUsername(line: string, isInitial: boolean): SaslStep {
    const read = readClientLine(line, isInitial);
    if (read.kind !== 'data') return this.end(read.kind === 'abort' ? ABORTED : { type: 'failure', failure: read.failure });
    const username = decodeUtf8(read.bytes);
    if (username === undefined || username === '' || username.includes('\0')) {
      return this.end(failure('malformed', 'Malformed user name'));
    }
    this.username = username;
    this.state = 'password';
    return challenge(LOGIN_PASSWORD_CHALLENGE);
  }

  private async respondPassword(line: string): Promise<SaslStep> {
    const read = readClientLine(line, false);
    if (read.kind !== 'data') return this.end(read.kind === 'abort' ? ABORTED : { type: 'failure', failure: read.failure });
    const password = decodeUtf8(read.bytes);
    if (password === undefined || password.includes('\0')) return this.end(failure('malformed', 'Malformed password'));
    this.state = 'done';
    const result = await this.checker.checkPassword(this.username, password, this.mechanism);
    return result.ok ? { type: 'success', principal: result.principal } : { type: 'failure', failure: result.failure };
  }

  private end(step: SaslStep): SaslStep {
    this.state = 'done';
    return step;
  }
}
