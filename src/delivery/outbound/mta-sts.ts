// MTA-STS (RFC 8461) for outbound delivery: a recipient domain that publishes `_mta-sts.<domain>`
// TXT "v=STSv1; id=…" serves its policy at https://mta-sts.<domain>/.well-known/mta-sts.txt (fetched
// over HTTPS with a verified certificate, no redirects, bounded size and time). In "enforce" mode mail
// goes only to MX hosts the policy lists, over STARTTLS with a certificate valid for the MX name;
// "testing" mode delivers as usual and only logs what enforce would have refused (TLS-RPT reports
// are not sent). Policies are cached in memory for their max_age and refreshed when the TXT id
// changes (§5.1); a failed refresh keeps using an unexpired cached policy (§5.1, §3.3).
import https from 'node:https';
import type { LookupFunction } from 'node:net';

export type MtaStsMode = 'enforce' | 'testing' | 'none';

export interface MtaStsPolicy {
  mode: MtaStsMode;
  /** MX patterns: a host name, or "*." and a domain (one leftmost label, §4.1). */
  mx: string[];
  /** Seconds (§3.2: at most 31557600). */
  maxAge: number;
}

/** §3.1: "v=STSv1; id=…" (fields separated by ";", optional whitespace); the id, or undefined. */
export function parseStsRecord(txt: string): string | undefined {
  const fields = txt.split(';').map((f) => f.trim()).filter((f) => f !== '');
  if (fields[0] !== 'v=STSv1') return undefined;
  const id = fields.find((f) => f.startsWith('id='))?.slice(3);
  return id && /^[A-Za-z0-9]{1,32}$/.test(id) ? id : undefined;
}

/** §3.2: the policy file, "key: value" lines (CRLF or LF); undefined when it is not a valid policy. */
export function parseStsPolicy(text: string): MtaStsPolicy | undefined {
  let version: string | undefined;
  let mode: MtaStsMode | undefined;
  let maxAge: number | undefined;
  const mx: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'version') version = value;
    else if (key === 'mode' && (value === 'enforce' || value === 'testing' || value === 'none')) mode = value;
    else if (key === 'max_age' && /^\d{1,10}$/.test(value)) maxAge = Math.min(Number(value), 31_557_600);
    else if (key === 'mx' && value !== '') mx.push(value.toLowerCase().replace(/\.$/, ''));
  }
  if (version !== 'STSv1' || mode === undefined || maxAge === undefined) return undefined;
  if (mode !== 'none' && mx.length === 0) return undefined;
  return { mode, mx, maxAge };
}

/** §4.1: does the MX host name match one of the policy's patterns? */
export function mxMatches(patterns: readonly string[], host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return patterns.some((p) => {
    if (!p.startsWith('*.')) return p === h;
    const dot = h.indexOf('.');
    return dot > 0 && h.slice(dot + 1) === p.slice(2);
  });
}

export interface MtaStsOptions {
  /** TXT records of a name, as node's resolveTxt returns them (chunks per record). */
  resolveTxt: (name: string) => Promise<string[][]>;
  /** Address lookup for the policy host (a configured resolver); default the system's. */
  lookup?: LookupFunction;
  /** Extra trust anchors for the policy host's certificate (a private CA; tests). */
  ca?: Buffer[];
  /** Port of the policy host (443; tests use another). */
  port?: number;
  timeoutMs?: number;
  now?: () => number;
}

/** Largest policy file accepted (§3.3 suggests 64 KiB). */
const MAX_POLICY_BYTES = 64 * 1024;

interface CacheEntry {
  id: string;
  policy: MtaStsPolicy;
  expires: number;
}

export class MtaStsPolicies {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly now: () => number;

  constructor(private readonly options: MtaStsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The domain's policy in force, or undefined when it has none (or none could be had). */
  async policyFor(domain: string): Promise<MtaStsPolicy | undefined> {
    const d = domain.toLowerCase();
    const cached = this.cache.get(d);
    const fresh = cached && cached.expires > this.now() ? cached : undefined;
    let id: string | undefined;
    try {
      const records = (await this.options.resolveTxt(`_mta-sts.${d}`)).map((chunks) => chunks.join('')).filter((r) => r.startsWith('v=STSv1'));
      // §3.1: more than one record (or an invalid one) means no policy is published.
      id = records.length === 1 ? parseStsRecord(records[0]!) : undefined;
    } catch {
      return fresh?.policy;
    }
    if (id === undefined) return fresh?.policy;
    if (fresh && fresh.id === id) return fresh.policy;
    try {
      const policy = parseStsPolicy(await this.fetch(d));
      if (!policy) return fresh?.policy;
      this.cache.set(d, { id, policy, expires: this.now() + policy.maxAge * 1000 });
      return policy;
    } catch {
      return fresh?.policy;
    }
  }

  private fetch(domain: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const host = `mta-sts.${domain}`;
      const req = https.get(
        {
          host,
          servername: host,
          port: this.options.port ?? 443,
          path: '/.well-known/mta-sts.txt',
          rejectUnauthorized: true,
          ...(this.options.ca ? { ca: this.options.ca } : {}),
          ...(this.options.lookup ? { lookup: this.options.lookup } : {}),
          timeout: this.options.timeoutMs ?? 30_000,
          headers: { 'user-agent': 'Tessera MTA-STS' },
        },
        (res) => {
          // §3.3: no redirects; the policy is text/plain.
          const type = String(res.headers['content-type'] ?? '');
          if (res.statusCode !== 200 || !/^text\/plain\b/i.test(type)) {
            res.resume();
            return reject(new Error(`policy fetch answered ${res.statusCode} ${type}`));
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_POLICY_BYTES) {
              req.destroy(new Error('policy too large'));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('policy fetch timed out')));
      req.on('error', reject);
    });
  }
}
