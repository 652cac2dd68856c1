// Wraps a mail method so that store errors escaping it become the right method error.
import { MethodError } from '../errors.js';
import type { JsonObject, MethodContext, MethodDefinition, MethodOutput } from '../core/types.js';
import { methodErrorFrom } from './store-errors.js';
import type { MailMethodDeps } from './deps.js';

export type MailHandler = (deps: MailMethodDeps, args: JsonObject, ctx: MethodContext) => Promise<MethodOutput>;

export function defineMethod(capability: string, deps: MailMethodDeps, handler: MailHandler): MethodDefinition {
  return {
    capability,
    handler: async (args, ctx) => {
      try {
        // Every store access goes through the caller's rights-checked view: their own account
        // passes straight through, a shared account is checked mailbox by mailbox.
        return await handler({ ...deps, store: deps.store.actingAs(ctx.actor) }, args, ctx);
      } catch (err) {
        if (err instanceof MethodError) throw err;
        return methodErrorFrom(err);
      }
    },
  };
}
