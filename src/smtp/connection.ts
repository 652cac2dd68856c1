// What an SMTP session needs from its transport: the network edge's line-protocol connection.
export type { StreamConnection as SmtpConnection } from '../net/index.js';
