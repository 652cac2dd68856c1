// The one list of protocol front-ends `tessera serve` starts. Each issue that builds a protocol adds
// its factory here (IMAP, SMTP, JMAP, the development OpenID provider); nothing else needs editing.
//
// A factory returns one ProtocolServer per enabled listener block (or [] when its protocol is off).
// What several protocols share is declared once with sharedResource() and obtained with ctx.use(),
// which creates it on first use and closes it after every server has stopped, e.g.:
//
//   const store = sharedResource('store', (ctx) => openStore(ctx.config), (s) => s.close());
//   export const protocolFactories: ProtocolFactory[] = [
//     async (ctx) => createImapServers(ctx.config.imap, { store: await ctx.use(store), users: ctx.users }),
//   ];
import type { ProtocolFactory } from './context.js';

export const protocolFactories: ProtocolFactory[] = [];
