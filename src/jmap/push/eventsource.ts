// EventSource push (RFC 8620 §7.3): a text/event-stream that carries `state` events (StateChange
// objects) and optional `ping` events, ending after the first state event when closeafter=state.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../../auth/types.js';
import type { JmapBackend, StateChange } from '../backend.js';
import { sendProblem, plainProblem } from '../http/respond.js';
import { pushBacklogExceeded } from '../../net/index.js';

/** Clients may ask for pings every few seconds; below this the server would mostly be pinging. */
const MIN_PING_SECONDS = 5;
const MAX_PING_SECONDS = 3600;

export interface EventSourceParams {
  types: ReadonlySet<string> | null;
  closeAfterState: boolean;
  ping: number;
}

export function parseEventSourceParams(url: URL): EventSourceParams | string {
  const typesRaw = url.searchParams.get('types') ?? '*';
  const closeafter = url.searchParams.get('closeafter') ?? 'no';
  const pingRaw = url.searchParams.get('ping') ?? '0';
  if (closeafter !== 'state' && closeafter !== 'no') return 'closeafter must be "state" or "no"';
  if (!/^\d+$/.test(pingRaw)) return 'ping must be a non-negative integer';
  let ping = Number(pingRaw);
  if (ping > 0) ping = Math.min(Math.max(ping, MIN_PING_SECONDS), MAX_PING_SECONDS);
  const types = typesRaw === '*' ? null : new Set(typesRaw.split(',').map((t) => t.trim()).filter((t) => t.length > 0));
  return { types, closeAfterState: closeafter === 'state', ping };
}

/** Serves one EventSource stream. `track` registers it so the server can end it (stop, revocation). */
export function serveEventSource(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  principal: Principal,
  backend: JmapBackend,
  track: (close: (reason: string) => void) => () => void,
): void {
  const params = parseEventSourceParams(url);
  if (typeof params === 'string') {
    sendProblem(res, plainProblem(400, params));
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  /** Closes the stream: politely, or at once for a client that is not reading (`drop`). */
  const finish = (drop: boolean): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    untrack();
    if (timer) clearInterval(timer);
    if (drop) res.destroy();
    else res.end();
  };
  const end = (): void => finish(false);
  /** Writes an event, or drops a client that has stopped reading instead of buffering for it. */
  const write = (event: string): void => {
    if (ended) return;
    if (pushBacklogExceeded(res.writableLength)) finish(true);
    else res.write(event);
  };
  const send = (change: StateChange): void => {
    if (ended) return;
    write(`event: state\ndata: ${JSON.stringify(change)}\n\n`);
    if (params.closeAfterState) end();
  };
  const unsubscribe = backend.subscribe(principal, params.types, send);
  const untrack = track(end);
  if (params.ping > 0) {
    timer = setInterval(() => write(`event: ping\ndata: ${JSON.stringify({ interval: params.ping })}\n\n`), params.ping * 1000);
    timer.unref();
  }
  req.on('close', end);
}
