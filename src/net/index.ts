// The network edge shared by IMAP, SMTP, POP3 and JMAP: listeners, TLS, connection limits, output
// back-pressure and address lists. Imports nothing but Node.js.
export { NetListener, type AcceptedConnection, type ListenerOptions, type ListenerSettings, type ProxyProtocolSettings, type StopHooks } from './listener.js';
export { parseProxyHeader, type ProxyHeader, type ProxyEndpoint, type ProxyParse } from './proxy-protocol.js';
export { ListenerTlsError, upgradeToTls } from './tls.js';
export { ListenError } from './listen-error.js';
export { writeWithBackpressure, isHeldForOutput, holdInput, releaseInput, whenWritable, readyForNextCommand, pushBacklogExceeded, OUTPUT_HIGH_WATER, PUSH_BACKLOG_LIMIT, type InputHold } from './backpressure.js';
export { CidrList, InvalidCidrError, normalizeAddress } from './cidr.js';
export type { BindAddress, ListenerTls, NetLogger, RefusalReason } from './types.js';
export { ByteQueue, type LineResult } from './byte-queue.js';
export { SocketConnection, type SocketEvents } from './socket-connection.js';
export type { StreamConnection } from './stream-connection.js';
export { LineSession, type LineSessionLimits } from './line-session.js';
export { newSessionId } from './session-id.js';
export { acceptLineSession, stopLineSessions, type LineAcceptOptions } from './line-accept.js';
export { LineServer, REFUSAL_TEXT, type LineServerOptions } from './line-server.js';
