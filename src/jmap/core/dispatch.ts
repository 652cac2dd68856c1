// The pure request processor: a validated JmapRequest and the caller's context in, a JmapResponse
// out. No HTTP here, so the WebSocket transport and tests run exactly the same code.
import { MethodError, RequestProblem } from '../errors.js';
import type { Logger } from '../../log/logger.js';
import type { Principal } from '../../auth/types.js';
import type { Actor } from '../../store/types.js';
import { resolveReferences } from './references.js';
import { jmapAccount, type SharedJmapAccount } from '../account-id.js';
import { argumentProblem } from './schema.js';
import type { Invocation, JmapRequest, JmapResponse, MethodContext, MethodRegistry } from './types.js';

export interface DispatchOptions {
  registry: MethodRegistry;
  /** Capability URNs the server implements; anything else in `using` is unknownCapability. */
  capabilities: ReadonlySet<string>;
  maxCallsInRequest: number;
  logger: Logger;
}

const NO_SHARED: ReadonlyMap<string, SharedJmapAccount> = new Map();

export async function processRequest(
  request: JmapRequest,
  principal: Principal,
  sessionState: () => Promise<string> | string,
  options: DispatchOptions,
  shared: ReadonlyMap<string, SharedJmapAccount> = NO_SHARED,
  actor: Actor = { user: principal.user },
): Promise<JmapResponse> {
  for (const cap of request.using) {
    if (!options.capabilities.has(cap)) {
      throw new RequestProblem('unknownCapability', 400, `The server does not support the capability "${cap}".`);
    }
  }
  if (request.methodCalls.length > options.maxCallsInRequest) {
    throw new RequestProblem(
      'limit',
      400,
      `The request has ${request.methodCalls.length} method calls; at most ${options.maxCallsInRequest} are allowed.`,
      'maxCallsInRequest',
    );
  }
  const createdIds = new Map(Object.entries(request.createdIds ?? {}));
  const using = new Set(request.using);
  const responses: Invocation[] = [];
  const account = jmapAccount(principal.user);

  for (const [name, rawArgs, callId] of request.methodCalls) {
    try {
      const args = resolveReferences(rawArgs, responses);
      const method = options.registry.get(name);
      // A method whose capability the client did not ask for is, to that client, unknown (§3.6.2).
      if (method === undefined || !using.has(method.capability)) {
        throw new MethodError('unknownMethod', `${name} is not a method this server offers under the capabilities in "using"`);
      }
      const ctx: MethodContext = { principal, actor, account, shared, capability: method.capability, using, createdIds, callId };
      const problem = method.arguments ? argumentProblem(args, method.arguments) : undefined;
      if (problem !== undefined) throw new MethodError('invalidArguments', problem);
      const output = await method.handler(args, ctx);
      for (const [responseName, responseArgs] of output) responses.push([responseName, responseArgs, callId]);
    } catch (err) {
      if (err instanceof MethodError) {
        responses.push(['error', err.toJSON() as Invocation[1], callId]);
      } else {
        options.logger.error({ err, method: name }, 'JMAP method failed');
        responses.push(['error', { type: 'serverFail', description: 'internal error' }, callId]);
      }
    }
  }

  const response: JmapResponse = { methodResponses: responses, sessionState: await sessionState() };
  if (request.createdIds !== undefined) response.createdIds = Object.fromEntries(createdIds);
  return response;
}
