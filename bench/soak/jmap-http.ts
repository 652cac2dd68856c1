// The soak's JMAP client over node:http: one keep-alive agent per client, connecting from the
// client's own loopback address (fetch cannot choose it), for the session, API requests and the
// EventSource stream.
import http from 'node:http';

export type Invocation = [string, Record<string, unknown>, string];

export interface EventStream {
  /** Settles with why the stream ended, when it ends (never while it runs). */
  ended: Promise<Error>;
  close(): void;
}

const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];

export class SoakJmapClient {
  private readonly agent: http.Agent;
  private readonly authorization: string;

  constructor(
    private readonly baseUrl: string,
    user: string,
    password: string,
    localAddress: string,
  ) {
    this.agent = new http.Agent({ keepAlive: true, localAddress });
    this.authorization = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  }

  async session(): Promise<string> {
    const { status, text } = await this.request('GET', '/jmap/session');
    if (status !== 200) throw new Error(`GET /jmap/session answered ${status}: ${text.slice(0, 200)}`);
    const accountId = (JSON.parse(text) as { primaryAccounts: Record<string, string> }).primaryAccounts['urn:ietf:params:jmap:mail'];
    if (!accountId) throw new Error('the session has no mail account');
    return accountId;
  }

  async call(methodCalls: Invocation[]): Promise<Invocation[]> {
    const { status, text } = await this.request('POST', '/jmap', JSON.stringify({ using: USING, methodCalls }));
    if (status !== 200) throw new Error(`POST /jmap answered ${status}: ${text.slice(0, 200)}`);
    return (JSON.parse(text) as { methodResponses: Invocation[] }).methodResponses;
  }

  /** Opens an EventSource stream; resolves once the server answered 200, `onData` gets every chunk. */
  eventSource(path: string, onData: (text: string) => void): Promise<EventStream> {
    return new Promise((resolve, reject) => {
      const req = http.get(`${this.baseUrl}${path}`, { agent: this.agent, headers: { Authorization: this.authorization, Accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`EventSource answered ${res.statusCode}`));
          return;
        }
        let closing = false;
        const ended = new Promise<Error>((settle) => {
          res.setEncoding('utf8');
          res.on('data', onData);
          res.once('end', () => settle(new Error('the event stream ended')));
          res.once('error', (err) => settle(err));
          res.once('close', () => settle(new Error(closing ? 'closed by the client' : 'the event stream closed')));
        });
        resolve({
          ended,
          close: () => {
            closing = true;
            req.destroy();
          },
        });
      });
      req.once('error', reject);
    });
  }

  destroy(): void {
    this.agent.destroy();
  }

  private request(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Authorization: this.authorization };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const req = http.request(`${this.baseUrl}${path}`, { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.once('error', reject);
      });
      req.once('error', reject);
      req.end(body);
    });
  }
}
