// The arguments every Foo/set takes (RFC 8620 §5.3), read and type-checked before anything is
// written: a wrong type is invalidArguments for the whole call, never a half-applied /set.
import { MethodError } from '../errors.js';
import { isJsonObject, type JsonObject, type MethodContext } from '../core/types.js';
import { invalid, readAccount } from './args.js';
import type { JmapAccount } from '../account-id.js';

export interface SetRequest {
  account: JmapAccount;
  ifInState: string | null;
  /** Creation id → object (values not yet checked: a bad one fails only its own creation). */
  create: JsonObject;
  /** Id (or "#creationId") → PatchObject. */
  update: JsonObject;
  destroy: string[];
}

function optMap(args: JsonObject, name: string): JsonObject {
  const v = args[name];
  if (v === undefined || v === null) return {};
  if (!isJsonObject(v)) throw invalid(`"${name}" must be an object or null`);
  return v;
}

/** "ifInState": a state string or null. */
export function readIfInState(args: JsonObject): string | null {
  const v = args.ifInState;
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid('"ifInState" must be a string or null');
  return v;
}

/** A list of ids, or null/absent for none (result references are resolved before the call runs). */
export function readIdList(args: JsonObject, name: string): string[] {
  const v = args[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) throw invalid(`"${name}" must be a list of ids or null`);
  return v;
}

export function readSetRequest(args: JsonObject, ctx: MethodContext, maxObjects: number): SetRequest {
  const request: SetRequest = {
    account: readAccount(args, ctx),
    ifInState: readIfInState(args),
    create: optMap(args, 'create'),
    update: optMap(args, 'update'),
    destroy: readIdList(args, 'destroy'),
  };
  const count = Object.keys(request.create).length + Object.keys(request.update).length + request.destroy.length;
  if (count > maxObjects) throw new MethodError('requestTooLarge', `at most ${maxObjects} objects per /set`);
  return request;
}

/** RFC 8620 §5.3: a given ifInState that is not the current state fails the whole call. */
export function checkIfInState(ifInState: string | null, state: string): void {
  if (ifInState !== null && ifInState !== state) throw new MethodError('stateMismatch');
}
