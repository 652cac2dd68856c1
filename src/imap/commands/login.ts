// LOGIN (RFC 3501 §6.2.3): a password login through the auth core, refused with [PRIVACYREQUIRED] on
// a clear connection when requireSSL is set (the capability list then shows LOGINDISABLED).
import type { CommandSpec } from '../types.js';
import { failureToImap, completeLogin } from './auth-reply.js';

export const login: CommandSpec = {
  states: ['notauth'],
  expungeAfter: false,
  async run(s, args) {
    const user = args.astring('user name');
    const password = args.astring('password');
    args.end();
    const result = await s.deps.auth.loginWithPassword(user, password, s.authContext());
    if (!result.ok) throw failureToImap(result.failure);
    return completeLogin(s, result.principal);
  },
};
