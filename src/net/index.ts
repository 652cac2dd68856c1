// The network edge shared by IMAP, SMTP and JMAP: listeners, TLS, connection limits, output
// back-pressure and address lists. Imports nothing but Node.js.
export { NetListener, type AcceptedConnection, type ListenerOptions, type ListenerSettings, type StopHooks } from './listener.js';
export { ListenerTlsError, upgradeToTls } from './tls.js';
export { ListenError } from './listen-error.js';
export { writeWithBackpressure, isHeldForOutput, holdInput, releaseInput, whenWritable, readyForNextCommand, pushBacklogExceeded, OUTPUT_HIGH_WATER, PUSH_BACKLOG_LIMIT, type InputHold } from './backpressure.js';
export { CidrList, InvalidCidrError, normalizeAddress } from './cidr.js';
export type { BindAddress, ListenerTls, NetLogger, RefusalReason } from './types.js';
