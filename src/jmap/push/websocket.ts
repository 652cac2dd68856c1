// JMAP over WebSocket (RFC 8887): each text frame is a Request, answered by a Response or a
// RequestError with the request's id; WebSocketPushEnable/Disable switch StateChange pushes on and
// off on the same socket. The request processor is the same one POST /jmap uses.
import { createHash } from 'node:crypto';
import type { WebSocket, RawData } from 'ws';
import type { Principal } from '../../auth/types.js';
import type { Logger } from '../../log/logger.js';
import type { JmapBackend, StateChange } from '../backend.js';
import { RequestProblem } from '../errors.js';
import { parseJsonBody, toJmapRequest } from '../core/parse.js';
import { isJsonObject } from '../core/types.js';
import type { CoreLimits } from '../capabilities.js';
import { pushBacklogExceeded } from '../../net/index.js';

export function pushStateOf(change: StateChange): string {
  const canonical = Object.keys(change.changed)
    .sort()
    .map((a) => [a, Object.entries(change.changed[a] ?? {}).sort(([x], [y]) => (x < y ? -1 : 1))]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 16);
}

export function serveWebSocket(
  socket: WebSocket,
  principal: Principal,
  backend: JmapBackend,
  limits: CoreLimits,
  logger: Logger,
): void {
  let unsubscribe: (() => void) | undefined;
  let inFlight = 0;
  const sendJson = (v: unknown): void => {
    if (socket.readyState !== socket.OPEN) return;
    // A client that stops reading (pushes, or requests it never collects answers to) is dropped
    // rather than buffered for; a close frame would queue behind the backlog, so terminate.
    if (pushBacklogExceeded(socket.bufferedAmount)) {
      logger.info({ user: principal.user, unsent: socket.bufferedAmount }, 'JMAP WebSocket client not reading: closed');
      socket.terminate();
      return;
    }
    socket.send(JSON.stringify(v));
  };
  const problem = (p: RequestProblem, requestId: unknown): void => {
    const body: Record<string, unknown> = { '@type': 'RequestError', ...p.toJSON() };
    if (typeof requestId === 'string') body.requestId = requestId;
    sendJson(body);
  };

  socket.on('message', (data: RawData, isBinary: boolean) => {
    void (async () => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      let requestId: unknown;
      try {
        if (isBinary) throw new RequestProblem('notJSON', 400, 'JMAP messages are text frames');
        if (bytes.length > limits.maxSizeRequest) {
          throw new RequestProblem('limit', 400, `message larger than ${limits.maxSizeRequest} bytes`, 'maxSizeRequest');
        }
        const msg = parseJsonBody(bytes, limits.maxJsonDepth);
        if (!isJsonObject(msg)) throw new RequestProblem('notRequest', 400, 'a WebSocket message must be a JSON object');
        requestId = msg.id;
        const type = msg['@type'];
        if (type === 'WebSocketPushEnable') {
          const dataTypes = msg.dataTypes;
          const types = Array.isArray(dataTypes) ? new Set(dataTypes.filter((t): t is string => typeof t === 'string')) : null;
          unsubscribe?.();
          const push = (change: StateChange): void => sendJson({ ...change, pushState: pushStateOf(change) });
          unsubscribe = backend.subscribe(principal, types, push);
          // A client that reconnects tells us the last pushState it saw; if ours differs it missed changes.
          if (typeof msg.pushState === 'string') {
            const now = await backend.currentStates(principal, types);
            if (pushStateOf(now) !== msg.pushState) push(now);
          }
          return;
        }
        if (type === 'WebSocketPushDisable') {
          unsubscribe?.();
          unsubscribe = undefined;
          return;
        }
        if (type !== 'Request') throw new RequestProblem('notRequest', 400, '"@type" must be Request, WebSocketPushEnable or WebSocketPushDisable');
        if (inFlight >= limits.maxConcurrentRequests) {
          throw new RequestProblem('limit', 400, `at most ${limits.maxConcurrentRequests} requests at once`, 'maxConcurrentRequests');
        }
        inFlight++;
        try {
          const { '@type': _t, id: _id, ...rest } = msg;
          const response = await backend.api(toJmapRequest(rest), principal);
          const out: Record<string, unknown> = { '@type': 'Response', ...response };
          if (typeof requestId === 'string') out.requestId = requestId;
          sendJson(out);
        } finally {
          inFlight--;
        }
      } catch (err) {
        if (err instanceof RequestProblem) problem(err, requestId);
        else {
          logger.error({ err }, 'JMAP WebSocket message failed');
          const body: Record<string, unknown> = { '@type': 'RequestError', type: 'about:blank', status: 500, detail: 'internal error' };
          if (typeof requestId === 'string') body.requestId = requestId;
          sendJson(body);
        }
      }
    })();
  });
  socket.on('close', () => unsubscribe?.());
}
