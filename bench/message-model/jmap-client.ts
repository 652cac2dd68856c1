// A minimal JMAP client for the bench: Basic auth, session discovery, method calls over fetch.
export type Invocation = [string, Record<string, unknown>, string];

export const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];

export class JmapClient {
  private constructor(
    readonly apiUrl: string,
    readonly accountId: string,
    private readonly authorization: string,
  ) {}

  /** Reads the session resource (RFC 8620 §2) for the API URL and the mail account. */
  static async connect(baseUrl: string, user: string, password: string): Promise<JmapClient> {
    const authorization = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
    const res = await fetch(`${baseUrl}/.well-known/jmap`, { headers: { Authorization: authorization }, redirect: 'follow' });
    if (res.status !== 200) throw new Error(`JMAP session: HTTP ${res.status}`);
    const session = (await res.json()) as { apiUrl: string; primaryAccounts: Record<string, string> };
    const accountId = session.primaryAccounts['urn:ietf:params:jmap:mail'];
    if (!accountId) throw new Error('JMAP session has no mail account');
    return new JmapClient(new URL(session.apiUrl, baseUrl).toString(), accountId, authorization);
  }

  /** Posts one request; returns the method responses and the size of the response body. */
  async call(methodCalls: Invocation[]): Promise<{ responses: Invocation[]; bytes: number }> {
    const res = await fetch(this.apiUrl, {
      method: 'POST',
      headers: { Authorization: this.authorization, 'Content-Type': 'application/json' },
      body: JSON.stringify({ using: USING, methodCalls }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`JMAP: HTTP ${res.status}: ${text.slice(0, 200)}`);
    const responses = (JSON.parse(text) as { methodResponses: Invocation[] }).methodResponses;
    for (const [name, args] of responses) if (name === 'error') throw new Error(`JMAP method error: ${JSON.stringify(args)}`);
    return { responses, bytes: Buffer.byteLength(text) };
  }
}
