// Result references (RFC 8620 §3.7): an argument named "#foo" holding {resultOf, name, path} is
// replaced by the value at `path` (a JSON Pointer where "*" maps over an array and flattens) in the
// earlier response with call id `resultOf` and method `name`.
import { MethodError } from '../errors.js';
import { isJsonObject, type Invocation, type Json, type JsonObject } from './types.js';

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function fail(why: string): MethodError {
  return new MethodError('invalidResultReference', why);
}

/** Evaluates a JMAP JSON pointer; throws invalidResultReference when it does not resolve. */
export function evaluatePointer(value: Json, path: string): Json {
  if (path === '') return value;
  if (!path.startsWith('/')) throw fail(`path "${path}" must start with "/"`);
  return walk(value, path.slice(1).split('/').map(unescapeToken), path);
}

function walk(value: Json, tokens: string[], path: string): Json {
  if (tokens.length === 0) return value;
  const [token, ...rest] = tokens as [string, ...string[]];
  if (Array.isArray(value)) {
    if (token === '*') {
      const out: Json[] = [];
      for (const item of value) {
        const r = walk(item, rest, path);
        if (Array.isArray(r)) for (const x of r) out.push(x); // results may be longer than a call's argument list
        else out.push(r);
      }
      return out;
    }
    if (!/^(0|[1-9][0-9]*)$/.test(token)) throw fail(`"${token}" is not an array index in ${path}`);
    const idx = Number(token);
    if (idx >= value.length) throw fail(`index ${idx} out of range in ${path}`);
    return walk(value[idx] as Json, rest, path);
  }
  if (isJsonObject(value)) {
    if (!Object.prototype.hasOwnProperty.call(value, token)) throw fail(`no "${token}" in ${path}`);
    return walk(value[token] as Json, rest, path);
  }
  throw fail(`cannot descend into a scalar at "${token}" in ${path}`);
}

/**
 * Returns a copy of `args` with every "#name" reference resolved against `responses` (earlier
 * responses of the same request). Both "name" and "#name" present is invalidArguments.
 */
export function resolveReferences(args: JsonObject, responses: readonly Invocation[]): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(args)) {
    if (!key.startsWith('#')) {
      out[key] = value;
      continue;
    }
    const plain = key.slice(1);
    if (Object.prototype.hasOwnProperty.call(args, plain)) {
      throw new MethodError('invalidArguments', `both "${plain}" and "${key}" given`);
    }
    if (!isJsonObject(value) || typeof value.resultOf !== 'string' || typeof value.name !== 'string' || typeof value.path !== 'string') {
      throw fail(`"${key}" must be a ResultReference {resultOf, name, path}`);
    }
    const source = responses.find((r) => r[2] === value.resultOf);
    if (source === undefined) throw fail(`no earlier response with call id "${value.resultOf}"`);
    if (source[0] !== value.name) throw fail(`response "${value.resultOf}" is ${source[0]}, not ${value.name}`);
    out[plain] = evaluatePointer(source[1], value.path);
  }
  return out;
}
