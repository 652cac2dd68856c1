// The one list of protocol front-ends `tessera serve` starts. Each issue that builds a protocol adds
// its factory here (IMAP, SMTP, JMAP, the development OpenID provider); nothing else needs editing.
import type { ProtocolFactory } from './context.js';

export const protocolFactories: ProtocolFactory[] = [];
