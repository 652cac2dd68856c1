// Wire shapes of RFC 8620 §3.2–3.4 and the context a method handler runs in.
import type { Principal } from '../../auth/types.js';
import type { Actor } from '../../store/types.js';
import type { ArgumentSchema } from './schema.js';
import type { JmapAccount, SharedJmapAccount } from '../account-id.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** [name, arguments, methodCallId] */
export type Invocation = [string, JsonObject, string];

export interface JmapRequest {
  using: string[];
  methodCalls: Invocation[];
  createdIds?: Record<string, string>;
}

export interface JmapResponse {
  methodResponses: Invocation[];
  createdIds?: Record<string, string>;
  sessionState: string;
}

/** What a handler may know about the caller and the request it belongs to. */
export interface MethodContext {
  principal: Principal;
  /** Who acts on the store: the principal's user and its groups ("$group" ACLs), read for this request. */
  actor: Actor;
  /** The caller's account (the only one a user sees): its wire id and its store name. */
  account: JmapAccount;
  /** Other users' accounts shared with the caller, by wire id (checked again by the store on each access). */
  shared: ReadonlyMap<string, SharedJmapAccount>;
  /** The capability of the method being run: a shared account offers only some (readAccount). */
  capability: string;
  /** Capabilities the client listed in `using`. */
  using: ReadonlySet<string>;
  /** Creation id (without '#') → server id, shared by every call of the request (§5.3). */
  createdIds: Map<string, string>;
  /** The call id of the invocation being run, for handlers that emit implicit calls. */
  callId: string;
}

/** One or more responses; implicit calls (e.g. onSuccessUpdateEmail) add a second invocation. */
export type MethodOutput = Array<[string, JsonObject]>;

export type MethodHandler = (args: JsonObject, ctx: MethodContext) => Promise<MethodOutput>;

export interface MethodDefinition {
  /** Capability the client must list in `using` to call this method. */
  capability: string;
  handler: MethodHandler;
  /** Types of the arguments, checked by the dispatcher before `handler` runs (./schema.ts). */
  arguments?: ArgumentSchema;
}

export type MethodRegistry = ReadonlyMap<string, MethodDefinition>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
