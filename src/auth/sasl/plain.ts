// SASL PLAIN (RFC 4616): one message "[authzid] NUL authcid NUL passwd", UTF-8.
import type { SaslExchange, SaslStep } from '../types.js';
import type { CredentialChecker } from '../credentials.js';
import { decodeUtf8 } from './base64.js';
import { ABORTED, FINISHED, challenge, failure, readClientLine } from './client-line.js';

export interface PlainMessage {
  authzid: string;
  authcid: string;
  password: string;
}

/** Parses the decoded PLAIN message; undefined when it is not exactly three NUL-separated UTF-8 fields. */
export function parsePlainMessage(bytes: Uint8Array): PlainMessage | undefined {
  const text = decodeUtf8(bytes);
  if (text === undefined) return undefined;
  const parts = text.split('\0');
  if (parts.length !== 3) return undefined;
  const [authzid, authcid, password] = parts as [string, string, string];
  if (authcid === '' || password === '') return undefined;
  return { authzid, authcid, password };
}

export class PlainExchange implements SaslExchange {
  readonly mechanism = 'PLAIN';
  private state: 'new' | 'waiting' | 'done' = 'new';

  constructor(private readonly checker: CredentialChecker) {}

  async start(initial?: string): Promise<SaslStep> {
    if (this.state !== 'new') return FINISHED;
    if (initial === undefined) {
      this.state = 'waiting';
      return challenge('');
    }
    return this.handle(initial, true);
  }

  async respond(line: string): Promise<SaslStep> {
    if (this.state !== 'waiting') return FINISHED;
    return this.handle(line, false);
  }

  private async handle(line: string, isInitial: boolean): Promise<SaslStep> {
    this.state = 'done';
    const read = readClientLine(line, isInitial);
    if (read.kind === 'abort') return ABORTED;
    if (read.kind === 'malformed') return { type: 'failure', failure: read.failure };
    const message = parsePlainMessage(read.bytes);
    if (!message) return failure('malformed', 'Malformed PLAIN message');
    const result = await this.checker.checkPassword(message.authcid, message.password, this.mechanism, message.authzid);
    return result.ok ? { type: 'success', principal: result.principal } : { type: 'failure', failure: result.failure };
  }
}
