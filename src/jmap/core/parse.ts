// Turns request bytes into a validated JmapRequest or a RequestProblem. Nesting depth is measured on
// the text before JSON.parse so a hostile `[[[[…` can neither blow the stack here nor in the walkers
// (result references, patches) that recurse over arguments later.
import { RequestProblem } from '../errors.js';
import { isJsonObject, type Invocation, type JmapRequest } from './types.js';

/** Deepest array/object nesting in a JSON text, ignoring brackets inside strings. Stops early past `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

export function parseJsonBody(body: Buffer, maxDepth: number): unknown {
  const text = body.toString('utf8');
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw new RequestProblem('limit', 400, `JSON nesting deeper than ${maxDepth} levels`, 'maxDepth');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RequestProblem('notJSON', 400, 'The request body is not valid I-JSON.');
  }
}

/** Checks the Request object shape of RFC 8620 §3.3; anything else is `notRequest`. */
export function toJmapRequest(value: unknown): JmapRequest {
  const bad = (why: string): RequestProblem => new RequestProblem('notRequest', 400, `Not a JMAP Request: ${why}`);
  if (!isJsonObject(value)) throw bad('the body must be a JSON object');
  const { using, methodCalls, createdIds } = value;
  if (!Array.isArray(using) || !using.every((u) => typeof u === 'string')) throw bad('"using" must be an array of strings');
  if (!Array.isArray(methodCalls)) throw bad('"methodCalls" must be an array');
  const calls: Invocation[] = [];
  for (const call of methodCalls) {
    if (
      !Array.isArray(call) ||
      call.length !== 3 ||
      typeof call[0] !== 'string' ||
      !isJsonObject(call[1]) ||
      typeof call[2] !== 'string'
    ) {
      throw bad('each method call must be [name, arguments object, call id]');
    }
    calls.push([call[0], call[1], call[2]]);
  }
  const request: JmapRequest = { using: using as string[], methodCalls: calls };
  if (createdIds !== undefined && createdIds !== null) {
    if (!isJsonObject(createdIds) || !Object.values(createdIds).every((v) => typeof v === 'string')) {
      throw bad('"createdIds" must map creation ids to ids');
    }
    request.createdIds = createdIds as Record<string, string>;
  }
  return request;
}
