// Interprets one client line of a SASL exchange: "*" aborts, "" or "=" (initial response only) is an
// empty message, anything else must be strict base64 within the payload limit.
import type { AuthFailure, SaslStep } from '../types.js';
import { decodeStrictBase64 } from './base64.js';

export type ClientLine = { kind: 'abort' } | { kind: 'malformed'; failure: AuthFailure } | { kind: 'data'; bytes: Buffer };

export function readClientLine(line: string, isInitial: boolean): ClientLine {
  if (line === '*' && !isInitial) return { kind: 'abort' };
  // "=" is SASL-IR's empty initial response; a bare empty line is an empty continuation.
  if ((isInitial && line === '=') || (!isInitial && line === '')) return { kind: 'data', bytes: Buffer.alloc(0) };
  const decoded = decodeStrictBase64(line);
  if (!decoded.ok) {
    const message = decoded.reason === 'too-large' ? 'Authentication payload too large' : 'Invalid base64 in authentication data';
    return { kind: 'malformed', failure: { code: 'malformed', message } };
  }
  return { kind: 'data', bytes: decoded.bytes };
}

export function failure(code: AuthFailure['code'], message: string): SaslStep {
  return { type: 'failure', failure: { code, message } };
}

export const ABORTED: SaslStep = { type: 'failure', failure: { code: 'aborted', message: 'Authentication aborted' } };

export function challenge(base64: string): SaslStep {
  return { type: 'challenge', base64 };
}

/** Steps after the exchange has ended: a client line then is a protocol error. */
export const FINISHED: SaslStep = {
  type: 'failure',
  failure: { code: 'malformed', message: 'Authentication exchange already finished' },
};
