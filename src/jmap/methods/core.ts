// Core/echo (RFC 8620 §4): returns its arguments unchanged; clients use it to test connectivity.
import { CAP_CORE } from '../capabilities.js';
import type { MethodDefinition } from '../core/types.js';

export function coreMethods(): Array<[string, MethodDefinition]> {
  return [['Core/echo', { capability: CAP_CORE, handler: async (args) => [['Core/echo', args]] }]];
}
